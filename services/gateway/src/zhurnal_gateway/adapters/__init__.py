"""The gateway's adapters: its session table and the Keycloak (OIDC) client."""
