"""`syncsecrets import --from-tenant SERVICE_PRINCIPAL_ID`: a profile from what the tenant holds.

The pairs come from one GET, and become a profile exactly as `import FILE` makes one (secrets,
which Graph shows as "*", become env references), with the service principal and the token's
tenant filled in, so that the next `plan` of it, secrets set, finds it in sync. When the service
principal has one synchronization job, what its schema changes in its template's default schema
becomes `[mappings.*]` tables, in sync too.
"""

from __future__ import annotations

import os

from ..problems import InvalidValue, UserError
from .import_ import write_imported
from .init import check_profile_name
from .remote import RemoteOptions, auth_mode, finish, open_session


def import_from_tenant(
    options: RemoteOptions, principal: str, name: str | None, configs: str, force: bool, environ=os.environ
) -> int:
    from ..authoring.importing import build_profile
    from ..graph.auth import AuthError
    from ..graph.client import GraphError
    from ..graph.connection import connect
    from ..graph.endpoints import jobs_url, read_collection, read_secrets
    from ..graph.job_action import only_job
    from ..graph.planning import RemoteRun
    from ..profile.values import check_guid

    try:
        principal = check_guid(principal)
    except InvalidValue as error:
        raise UserError.single("--from-tenant", str(error)) from None
    if not name:
        raise UserError.single("--from-tenant", "give the profile a name with --name")
    check_profile_name(name)
    connection = connect(options.cloud, options.graph_url, options.api, environ)
    mode = auth_mode(options, environ)
    run = RemoteRun("import", [], [])
    try:
        session = open_session(options, connection, mode, [], environ)
    except UserError as error:  # AZURE_* settings azure-identity cannot use
        return finish(run, options, problems=error.problems)
    except AuthError as error:
        return finish(run, options, error=error)
    try:
        pairs = read_secrets(session.client, principal)
        jobs = read_collection(session.client, jobs_url(session.client, principal))
        job = only_job(jobs)
        mappings = tenant_mappings(session.client, principal, jobs)
    except GraphError as error:
        return finish(run, options, error=f"service principal {principal}: {error}")
    finally:
        session.client.close()
    source = f"servicePrincipals/{principal}"
    imported = build_profile(
        pairs, name, source, principal, session.tenant, from_tenant=True, job=job, mappings=mappings
    )
    return write_imported(imported, name, configs, force, source)


def tenant_mappings(client, principal: str, jobs: list[dict]) -> dict | None:
    """The overlay that turns the template's default schema into the job's (when the service
    principal has exactly one job): adopting an application's mappings is this one command."""
    from ..graph.mappings import read_schema, read_template_schema
    from ..schema.overlay import derive

    if len(jobs) != 1:
        return None
    template = read_template_schema(client, principal, jobs[0].get("templateId"))
    return derive(template, read_schema(client, principal, jobs[0].get("id"))) or None
