/*
 * dev-broker: librdkafka's mock cluster behind a tiny line protocol.
 *
 * Why: tests, the demo and benchmarks need a broker that speaks the real
 * Kafka wire protocol (so kafkajs runs unmodified) but starts in
 * milliseconds, needs no JVM or Docker, and lets a test inject faults
 * (broker down, latency, error codes) deterministically.
 *
 * Usage: dev-broker [--brokers N]
 *
 * Protocol (stdin/stdout, one line each way):
 *   - On start exactly one line "BOOTSTRAP host:port[,host:port...]".
 *   - Then every command line gets exactly one answer line, "OK [info]" or
 *     "ERR <reason>", so a client can treat it as synchronous RPC.
 *   - EOF on stdin (the parent went away), "quit", SIGTERM or SIGINT
 *     destroy the cluster and exit 0.
 *
 * Broker ids are 1..N, in the order of the BOOTSTRAP list. API keys and
 * error codes may be numbers or names ("error Produce NOT_ENOUGH_REPLICAS 3").
 * "help" answers "OK <command list>".
 *
 * Build: cc -O2 -o dev-broker dev-broker.c -lrdkafka   (see build.ts)
 */

#define _GNU_SOURCE /* prctl, strcasecmp and friends */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* Kafka topic names are at most 249 characters, so 4 KiB is ample; a longer
 * line is garbage and is rejected as a whole rather than split into two
 * commands (which would desynchronise the one-answer-per-line protocol). */
#define LINE_MAX_LEN 4096
#define MAX_TOKENS 8

static rd_kafka_mock_cluster_t *mcluster;
static int broker_cnt = 1;

/* The signal handler only writes a byte here; the main loop polls it next
 * to stdin. That avoids the race between "check a flag" and "block in
 * read()" and keeps all teardown out of signal context. */
static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig) {
        int saved = errno;
        unsigned char b = (unsigned char)sig;
        ssize_t r = write(sig_pipe[1], &b, 1);
        (void)r; /* pipe full means a signal is already pending: fine */
        errno = saved;
}

static void on_alarm(int sig) {
        (void)sig;
        _exit(0); /* teardown overran; see the end of main() */
}

/* One answer line. Stdout failing (EPIPE) means nobody listens any more,
 * so we shut down instead of serving an absent client. */
static int answer(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(stdout, fmt, ap);
        va_end(ap);
        fputc('\n', stdout);
        return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -1;
}

/* librdkafka's default logger is chatty at NOTICE (e.g. "no bootstrap.servers"
 * for the bookkeeping handle, which is expected here). log_level keeps only
 * warnings and errors; this callback just makes the source obvious. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf) {
        (void)rk;
        fprintf(stderr, "dev-broker: librdkafka %d %s: %s\n", level, fac, buf);
}

/* Strict integer parsing: the whole token must be a number in range, so
 * "3x" or "" is an error instead of silently becoming 3 or 0. */
static int parse_long(const char *s, long min, long max, long *out) {
        char *end;
        long v;
        if (!s || !*s)
                return -1;
        errno = 0;
        v     = strtol(s, &end, 10);
        if (errno || *end || v < min || v > max)
                return -1;
        *out = v;
        return 0;
}

/* Error codes by number ("19") or by librdkafka name, with or without the
 * RD_KAFKA_RESP_ERR_ prefix ("NOT_ENOUGH_REPLICAS"). Only codes >= 0 make
 * sense on the wire: negative ones are librdkafka-internal. */
static int parse_err(const char *s, rd_kafka_resp_err_t *out) {
        const struct rd_kafka_err_desc *descs;
        size_t cnt, i;
        long v;

        if (parse_long(s, 0, SHRT_MAX, &v) == 0) {
                *out = (rd_kafka_resp_err_t)v;
                return 0;
        }
        if (!strncasecmp(s, "RD_KAFKA_RESP_ERR_", 18))
                s += 18;
        rd_kafka_get_err_descs(&descs, &cnt);
        for (i = 0; i < cnt; i++) {
                if (descs[i].name && descs[i].code >= 0 &&
                    !strcasecmp(descs[i].name, s)) {
                        *out = descs[i].code;
                        return 0;
                }
        }
        return -1;
}

/* The API keys tests actually target, so commands can read "error Produce 19"
 * instead of a magic number. Any number 0..1000 is accepted as well. */
static const struct {
        const char *name;
        int key;
} api_keys[] = {
    {"Produce", 0},          {"Fetch", 1},          {"ListOffsets", 2},
    {"Metadata", 3},         {"OffsetCommit", 8},   {"OffsetFetch", 9},
    {"FindCoordinator", 10}, {"JoinGroup", 11},     {"Heartbeat", 12},
    {"LeaveGroup", 13},      {"SyncGroup", 14},     {"DescribeGroups", 15},
    {"ListGroups", 16},      {"ApiVersions", 18},   {"CreateTopics", 19},
    {"InitProducerId", 22},  {"AddPartitionsToTxn", 24},
    {"AddOffsetsToTxn", 25}, {"EndTxn", 26},        {"TxnOffsetCommit", 28},
};

static int parse_api_key(const char *s, int16_t *out) {
        long v;
        size_t i;
        if (parse_long(s, 0, 1000, &v) == 0) {
                *out = (int16_t)v;
                return 0;
        }
        for (i = 0; i < sizeof(api_keys) / sizeof(api_keys[0]); i++) {
                if (!strcasecmp(api_keys[i].name, s)) {
                        *out = (int16_t)api_keys[i].key;
                        return 0;
                }
        }
        return -1;
}

/* Broker ids are 1..N; -1 means "all brokers" for the per-broker calls
 * (librdkafka's own convention). The range is checked here because some
 * mock calls (coordinator, leader) accept any id without complaint and
 * clients would then chase a broker that does not exist. */
static int parse_broker(const char *s, int allow_all, int32_t *out) {
        long v;
        if (parse_long(s, allow_all ? -1 : 1, broker_cnt, &v) || v == 0)
                return -1;
        *out = (int32_t)v;
        return 0;
}

/* A topic token must be a legal Kafka topic name: anything else is almost
 * certainly a client bug, and the mock would happily create "foo\tbar". */
static int valid_topic(const char *s) {
        size_t n = strlen(s), i;
        if (n == 0 || n > 249 || !strcmp(s, ".") || !strcmp(s, ".."))
                return 0;
        for (i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                      c == '-'))
                        return 0;
        }
        return 1;
}

static int bad_broker(int allow_all) {
        return answer("ERR broker id must be 1..%d%s", broker_cnt,
                      allow_all ? " or -1 (all)" : "");
}

static int answer_err(rd_kafka_resp_err_t err) {
        if (err)
                return answer("ERR %s: %s", rd_kafka_err2name(err),
                              rd_kafka_err2str(err));
        return answer("OK");
}

#define USAGE_CMDS                                                             \
        "ping | create <topic> <partitions> [replication] | down <id> | "      \
        "up <id> | rtt <id> <ms> | error <apiKey> <errorCode> [count] | "     \
        "clear <apiKey> | leader <topic> <partition> <id> | "                 \
        "coordinator <group|transaction> <key> <id> | "                       \
        "topic-error <topic> <errorCode> | quit"

/* Runs one command; returns -1 when the process should exit. */
static int handle(char *line) {
        char *tok[MAX_TOKENS];
        char *save = NULL, *t;
        int n = 0;
        long a, b;
        int32_t id;
        int16_t api;
        rd_kafka_resp_err_t err;

        for (t = strtok_r(line, " \t\r", &save); t;
             t = strtok_r(NULL, " \t\r", &save)) {
                if (n == MAX_TOKENS)
                        return answer("ERR too many arguments");
                tok[n++] = t;
        }
        if (n == 0)
                return answer("ERR empty command");

#define ARGS(lo, hi)                                                           \
        if (n - 1 < (lo) || n - 1 > (hi))                                      \
                return answer("ERR usage: %s", usage);

        const char *cmd = tok[0];

        if (!strcmp(cmd, "ping")) {
                return answer("OK");

        } else if (!strcmp(cmd, "help")) {
                return answer("OK " USAGE_CMDS);

        } else if (!strcmp(cmd, "quit")) {
                answer("OK");
                return -1;

        } else if (!strcmp(cmd, "create")) {
                const char *usage = "create <topic> <partitions> [replication]";
                /* Same default as the mock's auto-create: min(3, brokers). */
                long rf = broker_cnt < 3 ? broker_cnt : 3;
                ARGS(2, 3);
                if (!valid_topic(tok[1]))
                        return answer("ERR invalid topic name");
                if (parse_long(tok[2], 1, 100000, &a))
                        return answer("ERR partitions must be 1..100000");
                if (n == 4 && parse_long(tok[3], 1, broker_cnt, &rf))
                        return answer("ERR replication must be 1..%d",
                                      broker_cnt);
                err = rd_kafka_mock_topic_create(mcluster, tok[1], (int)a,
                                                 (int)rf);
                return answer_err(err);

        } else if (!strcmp(cmd, "down") || !strcmp(cmd, "up")) {
                const char *usage = "down|up <brokerId|-1>";
                ARGS(1, 1);
                if (parse_broker(tok[1], 1, &id))
                        return bad_broker(1);
                err = cmd[0] == 'd'
                          ? rd_kafka_mock_broker_set_down(mcluster, id)
                          : rd_kafka_mock_broker_set_up(mcluster, id);
                return answer_err(err);

        } else if (!strcmp(cmd, "rtt")) {
                const char *usage = "rtt <brokerId|-1> <ms>";
                ARGS(2, 2);
                if (parse_broker(tok[1], 1, &id))
                        return bad_broker(1);
                if (parse_long(tok[2], 0, 3600000, &a))
                        return answer("ERR ms must be 0..3600000");
                return answer_err(
                    rd_kafka_mock_broker_set_rtt(mcluster, id, (int)a));

        } else if (!strcmp(cmd, "error")) {
                const char *usage = "error <apiKey> <errorCode> [count]";
                rd_kafka_resp_err_t *errs;
                long cnt = 1, i;
                ARGS(2, 3);
                if (parse_api_key(tok[1], &api))
                        return answer("ERR unknown api key '%.64s'", tok[1]);
                if (parse_err(tok[2], &err))
                        return answer("ERR unknown error code '%.64s'", tok[2]);
                if (n == 4 && parse_long(tok[3], 1, 100000, &cnt))
                        return answer("ERR count must be 1..100000");
                /* The array variant avoids building a varargs call. */
                errs = malloc(sizeof(*errs) * (size_t)cnt);
                if (!errs)
                        return answer("ERR out of memory");
                for (i = 0; i < cnt; i++)
                        errs[i] = err;
                rd_kafka_mock_push_request_errors_array(mcluster, api,
                                                        (size_t)cnt, errs);
                free(errs);
                return answer("OK");

        } else if (!strcmp(cmd, "clear")) {
                const char *usage = "clear <apiKey>";
                ARGS(1, 1);
                if (parse_api_key(tok[1], &api))
                        return answer("ERR unknown api key '%.64s'", tok[1]);
                rd_kafka_mock_clear_request_errors(mcluster, api);
                return answer("OK");

        } else if (!strcmp(cmd, "leader")) {
                /* Note: like topic-error, this auto-creates a missing topic
                 * (with partition+1 partitions); that is the mock's doing. */
                const char *usage = "leader <topic> <partition> <brokerId>";
                ARGS(3, 3);
                if (!valid_topic(tok[1]))
                        return answer("ERR invalid topic name");
                if (parse_long(tok[2], 0, 100000, &b))
                        return answer("ERR invalid partition");
                /* -1 is the mock's "no leader" (LEADER_NOT_AVAILABLE). */
                if (parse_broker(tok[3], 1, &id))
                        return answer("ERR broker id must be 1..%d or -1 "
                                      "(no leader)",
                                      broker_cnt);
                return answer_err(rd_kafka_mock_partition_set_leader(
                    mcluster, tok[1], (int32_t)b, id));

        } else if (!strcmp(cmd, "coordinator")) {
                const char *usage =
                    "coordinator <group|transaction> <key> <brokerId>";
                ARGS(3, 3);
                if (strcmp(tok[1], "group") && strcmp(tok[1], "transaction"))
                        return answer("ERR usage: %s", usage);
                if (parse_broker(tok[3], 0, &id))
                        return bad_broker(0);
                return answer_err(rd_kafka_mock_coordinator_set(
                    mcluster, tok[1], tok[2], id));

        } else if (!strcmp(cmd, "topic-error")) {
                const char *usage = "topic-error <topic> <errorCode>";
                ARGS(2, 2);
                if (!valid_topic(tok[1]))
                        return answer("ERR invalid topic name");
                if (parse_err(tok[2], &err))
                        return answer("ERR unknown error code '%.64s'", tok[2]);
                rd_kafka_mock_topic_set_error(mcluster, tok[1], err);
                return answer("OK");
        }
#undef ARGS
        return answer("ERR unknown command '%.64s' (try: help)", cmd);
}

/* Reads stdin in chunks and hands complete lines to handle(). Returns when
 * stdin hits EOF, a signal arrives, "quit" was seen or stdout broke. */
static void serve(void) {
        static char line[LINE_MAX_LEN + 1];
        size_t len       = 0;
        int discarding   = 0; /* inside an over-long line */
        struct pollfd fds[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
                                {.fd = sig_pipe[0], .events = POLLIN}};

        for (;;) {
                char buf[1024];
                ssize_t r, i;

                if (poll(fds, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                if (fds[1].revents)
                        return; /* SIGTERM/SIGINT */
                if (!fds[0].revents)
                        continue;

                r = read(STDIN_FILENO, buf, sizeof(buf));
                if (r < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (r <= 0)
                        return; /* EOF: our parent is gone or done */

                for (i = 0; i < r; i++) {
                        char c = buf[i];
                        if (c != '\n') {
                                if (discarding)
                                        continue;
                                if (len == LINE_MAX_LEN) {
                                        discarding = 1;
                                        continue;
                                }
                                /* NUL would silently truncate the command. */
                                line[len++] = c == '\0' ? '?' : c;
                                continue;
                        }
                        if (discarding) {
                                discarding = 0;
                                len        = 0;
                                if (answer("ERR line too long (max %d bytes)",
                                           LINE_MAX_LEN))
                                        return;
                                continue;
                        }
                        line[len] = '\0';
                        len       = 0;
                        if (handle(line))
                                return;
                }
        }
}

int main(int argc, char **argv) {
        char errstr[512];
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        struct sigaction sa;
        long v;
        int i;

        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--brokers") && i + 1 < argc &&
                    parse_long(argv[i + 1], 1, 64, &v) == 0) {
                        broker_cnt = (int)v;
                        i++;
                } else {
                        fprintf(stderr,
                                "usage: %s [--brokers N]  (N = 1..64)\n"
                                "commands on stdin: " USAGE_CMDS "\n",
                                argv[0]);
                        return 2;
                }
        }

#ifdef __linux__
        /* Die with the parent even if it is SIGKILLed and stdin somehow stays
         * open (e.g. inherited by a grandchild): no stray brokers. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() == 1)
                return 0; /* parent already gone before prctl took effect */
#endif

        /* Non-blocking write end: a signal storm must never block the
         * handler; one pending byte is enough to stop. */
        if (pipe(sig_pipe) ||
            fcntl(sig_pipe[1], F_SETFL, O_NONBLOCK) == -1) {
                perror("dev-broker: pipe");
                return 1;
        }
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        /* A vanished reader must turn into a write error we handle, not a
         * silent death by SIGPIPE that skips the orderly teardown. */
        signal(SIGPIPE, SIG_IGN);

        /* The mock cluster needs a handle for bookkeeping only; it is never
         * used to produce. */
        conf = rd_kafka_conf_new();
        if (rd_kafka_conf_set(conf, "log_level", "4", errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK) {
                fprintf(stderr, "dev-broker: %s\n", errstr);
                return 1;
        }
        rd_kafka_conf_set_log_cb(conf, log_cb);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "dev-broker: rd_kafka_new: %s\n", errstr);
                return 1;
        }

        mcluster = rd_kafka_mock_cluster_new(rk, broker_cnt);
        if (!mcluster) {
                fprintf(stderr, "dev-broker: could not create mock cluster\n");
                rd_kafka_destroy(rk);
                return 1;
        }

        if (answer("BOOTSTRAP %s", rd_kafka_mock_cluster_bootstraps(mcluster)) ==
            0)
                serve();

        /* librdkafka 2.0.2's mock thread sometimes notices the terminate
         * request only at its next 1 s poll timeout. Nothing needs flushing
         * (all state is in memory and the kernel closes the sockets), so
         * bound the orderly teardown instead of making every test wait. */
        signal(SIGALRM, on_alarm);
        setitimer(ITIMER_REAL,
                  &(struct itimerval){.it_value = {.tv_usec = 200 * 1000}},
                  NULL);
        rd_kafka_mock_cluster_destroy(mcluster);
        rd_kafka_destroy(rk);
        return 0;
}
