"""An in-memory Microsoft Graph (synchronization secrets, jobs), served on loopback.

`syncsecrets sandbox` serves it for trying plan/apply without a tenant; the tests serve the
same code, with their fake authority's tokens and TLS, so what users try is what the tests test.
It never imports the Graph client (compiler/graph): the client must not grade its own homework.
"""
