"""The local runtime: template.yaml's functions, routes, schedules and queues on one machine."""
