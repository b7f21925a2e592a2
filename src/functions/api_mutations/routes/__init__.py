from functions.api_mutations.routes import access, catalog, checks

ROUTERS = (catalog.router, checks.router, access.router)
