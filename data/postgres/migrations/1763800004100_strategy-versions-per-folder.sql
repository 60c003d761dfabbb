-- Up Migration
-- A commit is evaluated once per strategy folder and entry file, not once overall: when an admin
-- points a team at another folder or entry, the branch head is evaluated again with it.
ALTER TABLE strategy_versions DROP CONSTRAINT strategy_versions_team_id_commit_sha_key;
CREATE UNIQUE INDEX strategy_versions_commit_folder_idx
  ON strategy_versions (team_id, commit_sha, (source ->> 'path'), (coalesce(source ->> 'entry', '')));

-- Down Migration
DROP INDEX strategy_versions_commit_folder_idx;
ALTER TABLE strategy_versions ADD CONSTRAINT strategy_versions_team_id_commit_sha_key UNIQUE (team_id, commit_sha);
