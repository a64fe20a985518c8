# The project's Kafka broker: KRaft, single node, 127.0.0.1:39092, data under .local/kafka
# (retail_kpi/services/kafka.py; docs/DEPLOY.md). With KAFKA_BOOTSTRAP_SERVERS set, `make kafka`
# only checks that cluster. KAFKA_PORT / KAFKA_CONTROLLER_PORT pick other ports.
KAFKA_ARGS = $(if $(KAFKA_PORT),--port $(KAFKA_PORT)) $(if $(KAFKA_CONTROLLER_PORT),--controller-port $(KAFKA_CONTROLLER_PORT))

.PHONY: kafka kafka-stop kafka-status produce

kafka: venv ## start the project's Kafka broker (or check KAFKA_BOOTSTRAP_SERVERS), print its address
	$(PY) -m retail_kpi.services.kafka start $(KAFKA_ARGS)

kafka-stop: ## stop the project's Kafka broker, by its recorded PID
	$(PY) -m retail_kpi.services.kafka stop

kafka-status: ## is the Kafka broker running and answering metadata requests (address, PID, memory)
	$(PY) -m retail_kpi.services.kafka status

# Upstream simulator, Kafka half (docs/SOURCES.md): publish a day to the retail.<entity>
# topics. PRODUCE_DATE defaults to yesterday (brokers refuse timestamps over an hour ahead);
# PRODUCE_ARGS adds options, e.g. PRODUCE_ARGS="--speed 144 --follow" (a day in 10 minutes).
PRODUCE_DATE ?= $(shell date -u -d yesterday +%F)
produce: kafka ## publish a simulated day to the Kafka topics (PRODUCE_DATE, PRODUCE_ARGS)
	$(PY) -m simulator produce --date $(PRODUCE_DATE) $(PRODUCE_ARGS)
