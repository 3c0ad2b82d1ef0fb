-- One org here per Anthropic organization: two would both approve the same requests.
CREATE UNIQUE INDEX "AnthropicConnection_anthropicOrgId_key" ON "AnthropicConnection"("anthropicOrgId");
