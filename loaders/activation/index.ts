// Public surface of loaders/activation: evaluating a strategy folder and the version history.
export { evaluateStrategy, describeSmokeFailure, type Evaluation, type EvaluateOptions, type Stage, type StageTimings, type VersionFinding } from './evaluateStrategy.ts';
export { smokeRun, DEFAULT_SMOKE_MINUTES, type SmokeOptions, type SmokeResult } from './smokeRun.ts';
export { sampleMinutes, SAMPLE_START_MS, type SampleMinute } from './sampleBars.ts';
export {
  recordVersion,
  rollbackToVersion,
  listVersions,
  getVersion,
  getActiveVersion,
  loadActiveVersions,
  hasVersion,
  watchActivations,
  ACTIVATION_CHANNEL,
  VersionError,
  type ActivationNotice,
  type ActiveVersion,
  type CommitMeta,
  type NewVersion,
  type RecordedVersion,
  type RollbackTarget,
  type VersionOutcome,
  type VersionSource,
  type VersionStatus,
  type VersionSummary,
} from './versionStore.ts';
export { notifyVersionEvent, watchVersionEvents, VERSION_EVENT_CHANNEL, type VersionEventNotice } from './versionEvents.ts';
