-- A request from Claude whose org disconnected from Anthropic: no longer tracked here
-- (it is still pending in claude.ai). A reconnect's poll opens it again.
ALTER TYPE "RequestStatus" ADD VALUE 'untracked';
