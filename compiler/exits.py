"""Exit codes: the one list, read by every command's result and by the guard.

Plain integers rather than an IntEnum: typer.Exit and sys.exit take them as they are, and this
module is imported on every start.
"""

OK = 0
# `compile --check` or `plan --check` found something to change; `validate` found credentials
# that do not work; `status` found a job quarantined or failing (graph/planning.FAILS).
CHANGES = 1
# The user's input or invocation is wrong: every problem reported, nothing written or sent.
USER_ERROR = 2
# A bug in syncsecrets: one line, no traceback unless --debug.
INTERNAL_ERROR = 3
# Microsoft Graph or the authority refused or failed (remote commands).
REMOTE_FAILED = 4
# The reader of standard output went away (`| head`): nothing more to say.
PIPE_CLOSED = 1
INTERRUPTED = 130
# SIGTERM (a CI job's timeout): the run removed what it had staged, as for Ctrl-C.
TERMINATED = 143
