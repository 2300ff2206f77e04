"""The scaled setup: several Rasa and action processes behind HAProxy, on PostgreSQL, Redis and
RabbitMQ, under supervisord (`make run-scaled`; docs/scaling.md)."""
