// Public surface of loaders/git: syncing team repositories and the webhook that triggers it.
export { startGitSync, UnknownTeamError, type GitSync, type GitSyncDeps } from './gitSync.ts';
export { syncTeam, validateTeamSource, type TeamSyncContext, type TeamSyncResult, type ValidSource } from './syncTeam.ts';
export { DEFAULT_GIT_LIMITS, type GitLimits } from './limits.ts';
export { GitSyncError, teamVisibleText, type SyncErrorKind } from './syncError.ts';
export { listSyncStates, readSyncState, type SyncState } from './syncState.ts';
export { classifyRepo, validateBranch, normaliseSubPath, type RepoSource, type GitProtocol } from './repoSource.ts';
export { issueWebhookSecret, readWebhookSecret, WEBHOOK_SECRET_PREFIX } from './webhookSecrets.ts';
export { signWebhookBody, verifyWebhookSignature, SIGNATURE_HEADER } from './webhookSignature.ts';
