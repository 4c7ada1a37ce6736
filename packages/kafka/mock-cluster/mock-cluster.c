/*
 * A librdkafka mock Kafka cluster as a standalone process, for the @rivulet/kafka tests.
 *
 * Usage: mock-cluster [--brokers N] [topic:partitions ...]
 *
 * Prints one line with the bootstrap servers ("127.0.0.1:port,...") to stdout once the cluster
 * listens, then reads commands from stdin, one per line, answering each with "ok" or "error <text>":
 *   down <broker-id>          closes the broker's connections and refuses new ones (connection loss)
 *   up <broker-id>            lets the broker accept connections again
 *   topic <name> <partitions> creates a topic (replication factor 1)
 *   leader <topic> <partition> <broker-id>   moves a partition's leader
 * Exits on SIGTERM/SIGINT, on EOF of stdin (the parent died) or on "quit". The mock keeps its data in
 * memory only: a new process starts empty.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stopping = 0;

static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

static int create_topic(rd_kafka_mock_cluster_t *mcluster, const char *name, int partitions) {
  rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mcluster, name, partitions, 1);
  if (err) {
    fprintf(stderr, "mock-cluster: cannot create topic %s: %s\n", name, rd_kafka_err2str(err));
    return -1;
  }
  return 0;
}

static void reply(rd_kafka_resp_err_t err) {
  if (err)
    printf("error %s\n", rd_kafka_err2str(err));
  else
    printf("ok\n");
  fflush(stdout);
}

int main(int argc, char **argv) {
  int brokers = 1;
  int first_topic = 1;
  char errstr[512];

  if (argc > 2 && strcmp(argv[1], "--brokers") == 0) {
    brokers = atoi(argv[2]);
    first_topic = 3;
  }
  if (brokers < 1) {
    fprintf(stderr, "mock-cluster: --brokers must be >= 1\n");
    return 2;
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal; /* no SA_RESTART: a blocked fgets returns EINTR */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "mock-cluster: %s\n", errstr);
    return 1;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) {
    fprintf(stderr, "mock-cluster: rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *mcluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mcluster) {
    fprintf(stderr, "mock-cluster: rd_kafka_mock_cluster_new failed\n");
    rd_kafka_destroy(rk);
    return 1;
  }

  for (int i = first_topic; i < argc; i++) {
    char name[256];
    int partitions = 1;
    const char *colon = strrchr(argv[i], ':');
    size_t len = colon ? (size_t)(colon - argv[i]) : strlen(argv[i]);
    if (len == 0 || len >= sizeof(name)) {
      fprintf(stderr, "mock-cluster: bad topic argument %s\n", argv[i]);
      return 2;
    }
    memcpy(name, argv[i], len);
    name[len] = '\0';
    if (colon) partitions = atoi(colon + 1);
    if (partitions < 1 || create_topic(mcluster, name, partitions) != 0) return 2;
  }

  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mcluster));
  fflush(stdout);

  char line[1024];
  while (!stopping) {
    if (!fgets(line, sizeof(line), stdin)) {
      if (errno == EINTR && !stopping) {
        clearerr(stdin);
        continue;
      }
      break; /* EOF: the parent went away */
    }
    char cmd[32], arg1[256];
    int n1 = 0, n2 = 0;
    if (sscanf(line, "%31s", cmd) != 1) continue;
    if (strcmp(cmd, "quit") == 0) {
      break;
    } else if (strcmp(cmd, "down") == 0 && sscanf(line, "%*s %d", &n1) == 1) {
      reply(rd_kafka_mock_broker_set_down(mcluster, n1));
    } else if (strcmp(cmd, "up") == 0 && sscanf(line, "%*s %d", &n1) == 1) {
      reply(rd_kafka_mock_broker_set_up(mcluster, n1));
    } else if (strcmp(cmd, "topic") == 0 && sscanf(line, "%*s %255s %d", arg1, &n1) == 2) {
      reply(rd_kafka_mock_topic_create(mcluster, arg1, n1, 1));
    } else if (strcmp(cmd, "leader") == 0 && sscanf(line, "%*s %255s %d %d", arg1, &n1, &n2) == 3) {
      reply(rd_kafka_mock_partition_set_leader(mcluster, arg1, n1, n2));
    } else {
      printf("error unknown command\n");
      fflush(stdout);
    }
  }

  rd_kafka_mock_cluster_destroy(mcluster);
  rd_kafka_destroy(rk);
  return 0;
}
