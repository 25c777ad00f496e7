"""The command line: typer parses options, the core does the work, a reporter prints.

Nothing here decides anything about profiles; each command builds its arguments, calls one
function of the core through `guarded` (exit codes, no tracebacks, no leaks) and exits.
Modules a command needs are imported inside it, so `syncsecrets --help` and small runs do not
pay for what they do not use.
"""

# No `from __future__ import annotations` here: typer would have to evaluate every annotation
# from its string at each start, which costs about 4 ms (start-up has a budget, see bench/).
import inspect
from enum import StrEnum
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from . import __version__, exits
from .catalog.clouds import API_VERSIONS, CLOUDS
from .guard import guarded, report_user_error, usage_errors
from .problems import UserError
from .reports import REPORTER_BY_NAME
from .reports.terminal import PLAIN
from .run.result import AUTH_MODES, DEFAULT_OUT, DEFAULT_PATHS


class Group(TyperGroup):
    """Usage errors, whether click finds them (parsing) or a command does, through guard.py's one
    printer, so that every error of the command line has the same shape."""

    def make_context(self, *args, **kwargs):
        with usage_errors(lambda: None):
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx):
        with usage_errors(lambda: ctx.invoked_subcommand):
            return super().invoke(ctx)


def examples(*lines: str) -> str:
    """A command's --help ends with these, one a line (\b keeps click from rewrapping them)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


app = typer.Typer(
    name="syncsecrets",
    cls=Group,
    help="Compile TOML provisioning profiles into Microsoft Graph synchronization secrets.",
    # The quick start, for whoever starts from the bare command's help.
    epilog=examples(
        "syncsecrets init contoso-hr --template scim   # a profile to fill in: configs/contoso-hr.toml",
        "syncsecrets compile                           # check the profiles, write build/",
        "syncsecrets sandbox                           # a local Graph to try plan and apply on",
        "syncsecrets plan",
        "syncsecrets apply",
    ),
    no_args_is_help=True,
    # Never let typer print a traceback: with locals it would show secrets. guard.py decides.
    pretty_exceptions_enable=False,
    # Help texts mention [environments.NAME] and [raw]: not markup.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class DiffMode(StrEnum):
    semantic = "semantic"
    unified = "unified"
    none = "none"


# The formats are the reporters' registry: a new reporter is offered here without an edit.
Format = StrEnum("Format", {name: name for name in REPORTER_BY_NAME})
CloudName = StrEnum("CloudName", {name: name for name in CLOUDS})
ApiVersion = StrEnum("ApiVersion", {version: version for version in API_VERSIONS})


Debug = Annotated[bool, typer.Option("--debug", help="On an internal error, print the traceback (secrets blanked).")]


def _version(value: bool) -> None:
    if value:
        PLAIN.out(f"syncsecrets {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Keep one TOML profile per provisioning app in git; compile them into the exact body of
    PUT /servicePrincipals/{id}/synchronization/secrets, with a review diff that never shows a secret."""


def _auth_option(purpose: str):
    return Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--auth",
            metavar="MODE",
            envvar="SYNCSECRETS_AUTH",
            show_envvar=True,
            show_default=False,
            help=f"{purpose}: {', '.join(AUTH_MODES)}. [default: default]",
        ),
    ]


AuthOption = _auth_option("How to get a token")
# compile signs in to nothing but Key Vault, and only with --reveal: its --auth says so.
CompileAuthOption = _auth_option("With --reveal: how to sign in to Key Vault for keyvault references")
KeyVaultAuthOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--keyvault-auth",
        metavar="MODE",
        envvar="SYNCSECRETS_KEYVAULT_AUTH",
        show_envvar=True,
        show_default=False,
        help="How to get a token for Key Vault references (the modes of --auth). [default: as --auth]",
    ),
]
PathsArgument = Annotated[
    Optional[list[str]],  # noqa: UP045 - typer reads the annotation at run time
    typer.Argument(
        metavar="[PATH]...",
        help=f"Profiles or folders of profiles. [default: {' '.join(DEFAULT_PATHS)}]",
        show_default=False,
    ),
]
ConfigsOption = Annotated[
    Optional[str],  # noqa: UP045 - None: the repository root's configs/, from any folder inside it
    typer.Option("--configs", metavar="DIR", help="Folder of profiles.", show_default=DEFAULT_PATHS[0]),
]
AllowOutsideOption = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--allow-outside",
        metavar="DIR",
        help="Let profiles read secret files and extend profiles in DIR, outside the repository (repeatable).",
    ),
]


@app.command(
    "compile",
    epilog=examples(
        "syncsecrets compile                 # configs/*.toml into build/, showing what changed",
        "syncsecrets compile --check         # write nothing; exit 1 if build/ is not up to date",
        "syncsecrets compile --env prod --prune",
    ),
)
def compile_command(
    paths: PathsArgument = None,
    out_dir: Annotated[
        Optional[str],  # noqa: UP045 - None: the root's build/, wherever the command runs
        typer.Option("--out", metavar="DIR", help="Folder the outputs go to.", show_default=DEFAULT_OUT),
    ] = None,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if any output would change.")] = False,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Resolve references and write real secrets (files are created 0600).")
    ] = False,
    diff: Annotated[DiffMode, typer.Option("--diff", help="How changes are shown.")] = DiffMode.semantic,
    env: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--env", metavar="NAME", help="Compile with [environments.NAME] into <out>/NAME/ (repeatable)."),
    ] = None,
    prune: Annotated[bool, typer.Option("--prune", help="Remove stale outputs (whose profile is gone).")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only problems, warnings and the summary.")
    ] = False,
    fmt: Annotated[
        Format, typer.Option("--format", help="text for people, json for programs, github for Actions annotations.")
    ] = Format.text,
    jobs: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--jobs", "-j", min=1, metavar="N", hidden=True, help="Accepted for scripts; compile uses one process."
        ),
    ] = None,
    allow_unignored_output: Annotated[
        bool,
        typer.Option(
            "--allow-unignored-output", help="Let --reveal write into a git work tree that does not ignore --out."
        ),
    ] = False,
    allow_outside: AllowOutsideOption = None,
    auth: CompileAuthOption = None,
    keyvault_auth: KeyVaultAuthOption = None,
    debug: Debug = False,
) -> None:
    """Compile profiles into PUT bodies in --out, showing what changed against the files there."""
    from .commands.compile import compile_profiles
    from .reports import View
    from .run.result import Options
    from .run.root import at_root

    with at_root() as place:
        options = Options(
            paths=place.paths(paths) or DEFAULT_PATHS,
            out=(place.path(out_dir).rstrip("/") or "/") if out_dir is not None else DEFAULT_OUT,
            check=check,
            reveal=reveal,
            prune=prune,
            environments=tuple(dict.fromkeys(env or ())),
            diff=diff.value,
            allow_unignored=allow_unignored_output,
            allow_outside=place.paths(allow_outside),
            auth=auth or None,
            keyvault_auth=keyvault_auth or None,
        )
        code = guarded(lambda: compile_profiles(options, View(quiet=quiet), fmt.value), debug)
    raise typer.Exit(code)


@app.command("keys", epilog=examples("syncsecrets keys --json"))
def keys_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array instead of a table.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print a Markdown table (as in docs/keys.md).")] = False,
) -> None:
    """List every settable key: Graph name, friendly name, kind, whether it is a secret, what it is."""
    from .commands.keys import list_keys

    raise typer.Exit(guarded(lambda: list_keys(as_json, markdown)))


@app.command("schema", epilog=examples("syncsecrets schema -o schema/profile.schema.json"))
def schema_command(
    output: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--output", "-o", metavar="FILE", help="Write the schema to FILE instead of printing it."),
    ] = None,
) -> None:
    """Print the JSON Schema of a profile (for editor completion and validation with Taplo)."""
    from .commands.schema import write_schema

    raise typer.Exit(guarded(lambda: write_schema(output)))


@app.command("init", epilog=examples("syncsecrets init contoso-hr --template scim"))
def init_command(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The application's name: the profile is DIR/NAME.toml.")],
    template: Annotated[
        Optional[str],  # noqa: UP045 - without it, init lists the kinds rather than only "Missing option"
        typer.Option(
            "--template",
            "-t",
            metavar="KIND",
            help="The kind of application (without it, init lists the kinds).",
            show_default=False,
        ),
    ] = None,
    configs: ConfigsOption = None,
    debug: Debug = False,
) -> None:
    """Write a new profile with the keys a kind of application needs, to fill in."""
    from .commands.init import init_profile
    from .run.root import configs_folder

    raise typer.Exit(guarded(lambda: init_profile(name, template, configs or configs_folder()), debug))


@app.command(
    "import",
    epilog=examples(
        "syncsecrets import body.json --name contoso-hr",
        "syncsecrets import --from-tenant 2f9f1c9e-1b7a-4c1e-9a55-0c9e2d1f7b10 --name contoso-hr",
    ),
)
def import_command(
    source: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(
            metavar="FILE|-", help="A PUT, GET or validateCredentials body; - reads stdin.", show_default=False
        ),
    ] = None,
    from_tenant: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--from-tenant", metavar="SERVICE_PRINCIPAL_ID", help="Read the pairs from the tenant instead of FILE."
        ),
    ] = None,
    name: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--name", metavar="NAME", help="The application's name. [default: FILE's name]", show_default=False
        ),
    ] = None,
    configs: ConfigsOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a profile that exists.")] = False,
    cloud: Annotated[CloudName, typer.Option("--cloud", help="With --from-tenant: the cloud.")] = CloudName["global"],
    graph_url: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--graph-url", metavar="URL", envvar="SYNCSECRETS_GRAPH_URL", help="With --from-tenant: the Graph root."
        ),
    ] = None,
    api: Annotated[ApiVersion, typer.Option("--api", help="With --from-tenant: the API version.")] = ApiVersion["v1.0"],
    auth: AuthOption = None,
    debug: Debug = False,
) -> None:
    """Turn an existing secrets body (or a service principal's, with --from-tenant) into a profile;
    secrets become env references."""
    from .run.root import configs_folder

    configs = configs or configs_folder()
    if from_tenant is not None:
        from .commands.import_tenant import import_from_tenant
        from .commands.remote import RemoteOptions

        if source is not None:
            raise typer.Exit(guarded(lambda: _usage("import", "give FILE or --from-tenant, not both")))
        options = RemoteOptions(cloud=cloud.value, graph_url=graph_url or None, api=api.value, auth=auth or None)
        raise typer.Exit(guarded(lambda: import_from_tenant(options, from_tenant, name, configs, force), debug))
    from .commands.import_ import import_profile

    if source is None:
        raise typer.Exit(guarded(lambda: _usage("import", "give a FILE (or - for standard input), or --from-tenant")))
    raise typer.Exit(guarded(lambda: import_profile(source, name, configs, force), debug))


def _usage(where: str, message: str) -> int:
    from .problems import UserError

    raise UserError.single(where, message)


@app.command(
    "references",
    epilog=examples(
        "syncsecrets references                       # base and every environment",
        "syncsecrets references --env prod --format json",
    ),
)
def references_command(
    paths: PathsArgument = None,
    env: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--env",
            metavar="NAME",
            help="Only [environments.NAME] (repeatable). [default: base and every environment]",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", metavar="text|json", help="text for people, json for programs.")
    ] = "text",
    allow_outside: AllowOutsideOption = None,
    debug: Debug = False,
) -> None:
    """List every environment variable, file and Key Vault secret the profiles need, per environment,
    with the profiles and keys that use them: names only, never a value."""
    from .commands.references import references
    from .run.root import at_root

    if fmt not in ("text", "json"):
        raise typer.BadParameter(f"{fmt!r} is not one of text, json", param_hint="'--format'")
    with at_root() as place:
        run = lambda: references(  # noqa: E731
            place.paths(paths) or DEFAULT_PATHS, tuple(dict.fromkeys(env or ())), fmt, place.paths(allow_outside)
        )
        code = guarded(run, debug)
    raise typer.Exit(code)


# --cloud and --api are choices of catalog/clouds.py; --auth modes are checked where they are
# used (commands/remote.py).
RemoteEnv = Annotated[
    Optional[list[str]],  # noqa: UP045 (a list, so that a second --env is refused rather than silently winning)
    typer.Option("--env", metavar="NAME", help="Use [environments.NAME] (one tenant per run)."),
]
CloudOption = Annotated[
    CloudName,
    typer.Option("--cloud", help="Which Microsoft cloud: its Graph root and authority."),
]
GraphUrl = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--graph-url",
        metavar="URL",
        envvar="SYNCSECRETS_GRAPH_URL",
        show_envvar=True,
        help="Graph root, overriding --cloud (https://, or http:// to loopback only).",
    ),
]
ApiOption = Annotated[ApiVersion, typer.Option("--api", help="Graph API version.")]
JobsOption = Annotated[
    int, typer.Option("--jobs", "-j", min=1, metavar="N", help="Service principals in flight at once.")
]
FormatOption = Annotated[
    Format, typer.Option("--format", help="text for people, json for programs, github for Actions annotations.")
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only failures, warnings and the summary.")]


def _remote_options(paths, env, cloud, graph_url, api, auth, keyvault_auth, allow_outside, jobs, fmt, quiet):
    from .commands.remote import RemoteOptions

    environments = list(dict.fromkeys(env or ()))
    if len(environments) > 1:  # click would keep the last one: the wrong tenant, silently
        raise typer.BadParameter(
            f"one environment per run (one run talks to one tenant), not {', '.join(environments)}: "
            "run once per environment",
            param_hint="'--env'",
        )
    return RemoteOptions(
        paths=tuple(paths or DEFAULT_PATHS),
        environment=environments[0] if environments else None,
        cloud=cloud.value,
        graph_url=graph_url or None,
        api=api.value,
        auth=auth or None,
        keyvault_auth=keyvault_auth or None,
        jobs=jobs,
        fmt=fmt.value,
        quiet=quiet,
        allow_outside=tuple(allow_outside or ()),
        default_paths=not paths,
    )


def _parameter(name: str, annotation, default) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)


# What every remote command takes, in the order --help lists them: PATH and --env first, its own
# options next, then these. Declared once; `remote_command` adds them to each command.
_LEADING = [_parameter("paths", PathsArgument, None), _parameter("env", RemoteEnv, None)]
_SHARED = [
    _parameter("cloud", CloudOption, CloudName["global"]),
    _parameter("graph_url", GraphUrl, None),
    _parameter("api", ApiOption, ApiVersion["v1.0"]),
    _parameter("auth", AuthOption, None),
    _parameter("keyvault_auth", KeyVaultAuthOption, None),
    _parameter("allow_outside", AllowOutsideOption, None),
    _parameter("jobs", JobsOption, 4),
    _parameter("fmt", FormatOption, Format.text),
    _parameter("quiet", QuietOption, False),
]


def remote_command(name: str, epilog: str, files: tuple[str, ...] = ()):
    """Registers a command that talks to Graph: `run(options, **own)` gets the shared options as
    a RemoteOptions and its own options by name; typer sees one signature with all of them.
    It runs in the repository's root (run/root.py): `files` names its own options that are
    paths, rewritten, as PATH and --allow-outside are, to name the same file from there."""

    def register(run):
        own = list(inspect.signature(run).parameters.values())[1:]  # after `options`

        def command(**given):
            from .run.root import at_root

            debug = given.pop("debug")
            shared = {parameter.name: given.pop(parameter.name) for parameter in _LEADING + _SHARED}
            with at_root() as place:
                shared["paths"] = place.paths(shared["paths"])
                shared["allow_outside"] = place.paths(shared["allow_outside"])
                given.update({key: place.path(given[key]) for key in files if given[key] is not None})
                options = _remote_options(*shared.values())
                code = guarded(lambda: run(options, **given), debug)
            raise typer.Exit(code)

        parameters = _LEADING + [_parameter(p.name, p.annotation, p.default) for p in own] + _SHARED
        parameters.append(_parameter("debug", Debug, False))
        command.__signature__ = inspect.Signature(parameters)
        command.__doc__ = run.__doc__
        app.command(name, epilog=epilog)(command)
        return run

    return register


@remote_command(
    "plan", examples("syncsecrets plan --env prod", "syncsecrets plan --env prod --save plan.json"), files=("save",)
)
def plan_command(
    options,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if any service principal is not in sync.")] = False,
    save: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--save", metavar="FILE", help="Write the plan (no secrets) for `apply --plan FILE`."),
    ] = None,
) -> int:
    """Show what apply would change on the tenant: read each service principal's secrets (GET only)."""
    from .commands.plan import plan

    return plan(options, check, save)


@remote_command(
    "apply",
    examples("syncsecrets apply --env prod", "syncsecrets apply --env prod --plan plan.json"),
    files=("plan_file",),
)
def apply_command(
    options,
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")] = False,
    wait: Annotated[
        float, typer.Option("--wait", min=0, metavar="SECONDS", help="How long to wait for the tenant to show a PUT.")
    ] = 60.0,
    changed_only: Annotated[
        bool, typer.Option("--changed-only", help="Skip service principals in sync (their secrets are not re-sent).")
    ] = False,
    plan_file: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--plan", metavar="FILE", help="Apply a saved plan (exit 2 if the profiles or the tenant moved)."),
    ] = None,
    validate: Annotated[
        bool,
        typer.Option("--validate", help="Validate each target's credentials first; send nothing to those that fail."),
    ] = False,
    allow_deprovision: Annotated[
        bool,
        typer.Option(
            "--allow-deprovision", help="Apply mapping changes that may remove users from the app (may-deprovision)."
        ),
    ] = False,
) -> int:
    """Send each profile to its service principal: one PUT each, keys removed from a profile cleared."""
    from .commands.apply import apply

    return apply(options, auto_approve, wait, changed_only, plan_file, validate, allow_deprovision=allow_deprovision)


@remote_command("validate", examples("syncsecrets validate --env prod --format json"))
def validate_command(
    options,
    saved: Annotated[bool, typer.Option("--saved", help="Test the tenant's saved credentials instead.")] = False,
) -> int:
    """Ask each application whether it accepts the profile's credentials (nothing is stored)."""
    from .commands.validate import validate

    return validate(options, saved)


@remote_command("status", examples("syncsecrets status --env prod"))
def status_command(options) -> int:
    """Show each service principal's synchronization jobs; exit 1 if one is quarantined or failing."""
    from .commands.status import status

    return status(options)


ScopeOption = Annotated[
    list[str],
    typer.Option(
        "--scope",
        metavar="SCOPE",
        help="portal (the portal's Restart provisioning), or a comma-separated list of watermark, escrows, "
        "quarantine, full, force-deletes (given twice: both).",
    ),
]
ForceDeletesOption = Annotated[
    bool,
    typer.Option(
        "--force-deletes",
        help="Allow the force-deletes scope: release deletions held back by the accidental-deletion threshold.",
    ),
]
SubjectOption = Annotated[
    list[str],
    typer.Option(
        "--subject", metavar="OBJECT_ID", help="Object id of a user or group to provision now (repeat for several)."
    ),
]
RuleOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--rule", metavar="RULE_ID", help="The schema rule to run [default: the job schema's rule for the type]."
    ),
]


@remote_command(
    "restart",
    examples("syncsecrets restart --env prod --scope quarantine", "syncsecrets restart --scope portal --auto-approve"),
)
def restart_command(
    options,
    scope: ScopeOption,
    force_deletes: ForceDeletesOption = False,
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")] = False,
) -> int:
    """Restart each service principal's synchronization job with the reset scope given."""
    from .commands.restart import restart

    return restart(options, ",".join(scope), force_deletes, auto_approve)  # every --scope counts, not the last


@remote_command(
    "provision", examples("syncsecrets provision configs/hr.toml --subject 9bb0f679-a883-4a6f-8260-35b491b8b8c8")
)
def provision_command(
    options,
    subject: SubjectOption,
    type_name: Annotated[str, typer.Option("--type", metavar="User|Group", help="The subjects' object type.")] = "User",
    rule: RuleOption = None,
) -> int:
    """Provision objects now with the profile's job (provisionOnDemand) and show every step."""
    from .commands.provision import provision

    return provision(options, subject, type_name, rule)


@app.command(
    "sandbox",
    epilog=examples(
        "syncsecrets sandbox                 # then, in another shell, the three export lines it prints",
        "syncsecrets sandbox configs --port 8700",
    ),
)
def sandbox_command(
    paths: PathsArgument = None,
    port: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--port",
            min=1,
            max=65535,
            metavar="N",
            help="Listen on 127.0.0.1:N. [default: a free port]",
            show_default=False,
        ),
    ] = None,
    debug: Debug = False,
) -> None:
    """Serve a local, in-memory Graph seeded with the profiles' service principals, to try plan and
    apply without a tenant; prints the variables that point them at it, serves until Ctrl-C."""
    from .commands.sandbox import sandbox
    from .run.root import at_root

    with at_root() as place:
        code = guarded(lambda: sandbox(place.paths(paths) or DEFAULT_PATHS, port), debug)
    raise typer.Exit(code)


def main() -> None:
    """The console script: typer's app, with the savings that bench/ scenario 4 measures."""
    import os
    import sys

    try:
        os.getcwd()
    except FileNotFoundError:  # the folder was removed under the shell: no relative path can be found
        report_user_error(
            UserError.single(
                "syncsecrets", "the working directory no longer exists: cd into the repository and run it again"
            )
        )
        sys.exit(exits.USER_ERROR)
    named = sys.argv[1] if len(sys.argv) > 1 else None
    commands = app.registered_commands
    # typer turns every registered command into a click command at each start: a run of one
    # command needs only that one (about 1.5 ms of a `compile --check`; bench/ scenario 4).
    # --help, completion and anything unexpected see them all.
    if not any(key.endswith("_COMPLETE") for key in os.environ) and named in {command.name for command in commands}:
        app.registered_commands = [command for command in commands if command.name == named]
    if named != "compile":
        app()
        return
    # A compile makes millions of small objects and no reference cycles worth collecting: the
    # cyclic collector's passes over the growing heap cost a tenth of a large compile and about
    # 3 ms of a `compile --check` of 50 profiles, and would find nothing. And it has nothing left
    # to do once its report is written: tearing down every module at exit cost about 8 ms more.
    # Flush, then end.
    import gc

    gc.disable()
    try:
        app()
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:  # a closed pipe: what Python itself would say at exit
            code = 120
        os._exit(code)
