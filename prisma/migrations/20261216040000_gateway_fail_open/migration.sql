-- The gateway's failure policy per org (docs/gateway.md#failure-policy): with its
-- ledger unreachable the gateway refuses (503, the default) or, when the operator set
-- this for an org that chose it, forwards its members' requests unchecked and records
-- them once the ledger is back. Read with the gateway key, not through the org cache.
ALTER TABLE "Organization" ADD COLUMN "gatewayFailOpen" BOOLEAN NOT NULL DEFAULT false;
