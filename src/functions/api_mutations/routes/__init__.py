from functions.api_mutations.routes import access, catalog, checks, heartbeats, status_pages

ROUTERS = (catalog.router, checks.router, access.router, heartbeats.router, status_pages.router)
