-- The audit trail, append-only. `line` is byte for byte the JSON line the file log writes
-- (src/store/audit-chain.ts: the event, then `seq` and `prev`, the SHA-256 of the line before),
-- and `hash` is the SHA-256 of `line`, so `spokebot audit verify` and a SIEM see the same bytes
-- whichever engine kept them. The columns beside `line` are copies of its fields to select on.

CREATE TABLE audit_log (
  seq bigint PRIMARY KEY,
  at timestamptz NOT NULL,
  connection text,
  action text NOT NULL,
  line text NOT NULL,
  hash text NOT NULL
);
CREATE INDEX audit_log_connection ON audit_log (connection, seq);
CREATE INDEX audit_log_at ON audit_log (at);

-- The application never changes or removes an entry; the database refuses it too, so neither a
-- bug nor someone holding the bot's credentials can rewrite history without also dropping these
-- triggers (which the bot's least-privilege role may not do: it does not own the table).
CREATE FUNCTION spokebot_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only: % on audit_log is refused', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'Entries are only ever added. To keep the table small, archive it with `spokebot audit export` and manage retention in PostgreSQL as its owner.';
END $$;

CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION spokebot_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION spokebot_audit_append_only();
