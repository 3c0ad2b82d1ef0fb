export { withExtraUsage, type ExtraUsageOptions, type MeteredAnthropic, type MeteredMessages } from './wrap.js';
export {
  ControlPlane,
  type ControlPlaneOptions,
  type AuthorizeRequest,
  type AuthorizeDecision,
  type AuthorizeAllowed,
  type AuthorizeRefused,
  type RecordRequest,
  type RecordResult,
  type UsageRecord,
  type Estimate,
} from './control-plane.js';
export { ExtraUsageRefusedError, ControlPlaneError, type RefusalReason, type Refusal } from './errors.js';
export { estimateFromBytes, estimateWithCountTokens, IMAGE_TOKENS, TOOLS_OVERHEAD_TOKENS, type EstimateStrategy } from './estimate.js';
export { logRecordError, type OnRecordError, type OnRecorded, type RecordRetry } from './recorder.js';
export { type EnforcementMode } from './meter.js';
