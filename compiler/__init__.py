"""syncsecrets: compile TOML provisioning profiles into Microsoft Graph synchronization secrets."""

__version__ = "0.1.0"
