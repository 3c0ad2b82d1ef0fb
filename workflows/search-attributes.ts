// The custom search attributes (Keyword), shared by workflow code (which upserts
// RequestStatus) and the client side (src/temporal/search-attributes.ts, which registers
// and sets them). Operators filter by them: docs/workflows.md.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The org's slug (immutable: the org's key in the operator API). */
export const ORG_SLUG = defineSearchAttributeKey('OrgSlug', SearchAttributeType.KEYWORD);
/** The member's external id, as in the org document. */
export const MEMBER = defineSearchAttributeKey('Member', SearchAttributeType.KEYWORD);
/** An extra-usage request's status: pending, approved, denied, expired, cancelled. */
export const REQUEST_STATUS = defineSearchAttributeKey('RequestStatus', SearchAttributeType.KEYWORD);
/** What an alert is about: the outbox event type (member_cap_reached, org_cap_threshold …). */
export const ALERT_KIND = defineSearchAttributeKey('AlertKind', SearchAttributeType.KEYWORD);
