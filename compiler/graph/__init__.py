"""Talking to Microsoft Graph: the remote commands (plan, apply, validate, status, import
--from-tenant) and what they share.

- connection.py: which Graph root, API version and authority (clouds, --graph-url checks)
- auth.py: a bearer token from azure-identity (every --auth mode), and its tenant
- retry.py: the retry policy, written once (pure: what to wait after which failure)
- client.py: the HTTP client (httpx): retries, errors as `GraphError`, no redirects, the token
  sent to the Graph root's host only
- endpoints.py: the synchronization secrets calls (GET with paging, PUT)
- targets.py: the profiles read exactly as `compile` reads them, references resolved in memory
- classify.py: profile against tenant, key by key (pure)
- planning.py, applying.py: fetching and sending for many targets at once (pool.py); planning.py
  also holds the run's result (`RemoteRun`, one `TargetPlan` per target) that reporters read
- saved.py: the saved plan (`plan --save`, `apply --plan`)
- jobs.py, validating.py, status.py: the synchronization jobs, `validate` and `status`

Nothing here is imported by `compile` (a test holds it to that): azure-identity and httpx load
only for the remote commands.
"""
