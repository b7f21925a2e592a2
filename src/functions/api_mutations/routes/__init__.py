from functions.api_mutations.routes import access, alerting, catalog, checks

ROUTERS = (catalog.router, checks.router, access.router, alerting.router)
