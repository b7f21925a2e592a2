"""The single table's keys and indexes, from template.yaml, parsed once per process (a parse of the
template costs seconds on a loaded machine; store-level tests create only this table)."""

from functools import lru_cache

from local.template import Template


@lru_cache(maxsize=1)
def healthcheck_table_definition() -> dict:
    """HealthcheckTable's KeySchema, AttributeDefinitions, GlobalSecondaryIndexes and BillingMode."""
    properties = Template.load().resources_of_type("AWS::DynamoDB::Table")["HealthcheckTable"]
    wanted = ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode")
    return {k: properties[k] for k in wanted if k in properties}
