"""Secrets read from Azure Key Vault: `{ keyvault = "https://<vault>.vault.azure.net/secrets/<name>" }`.

profile/vault_address.py checks what a reference may name; fetch.py reads the values through
azure-keyvault-secrets. A command that reveals calls `session.configure` before its profiles are mapped:
that registers a reader with the references module, and the reader imports fetch.py (and the
Azure SDK) only when a keyvault reference is actually resolved, so a run without one pays
nothing for the feature.
"""
