"""Loopback fakes of Microsoft Entra's token authority and Microsoft Graph, for tests only.

See README.md in this folder: what each fixture offers, and what is faithful or simplified.
"""
