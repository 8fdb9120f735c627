/*
 * The reference for `make bench-http`: the least a libmicrohttpd server can do to send the bytes arena-server
 * sends, so that the daemon's cost above it is what Swift, routing and rendering add.
 *
 * Usage: reference CAPTURE_DIR [PORT]   (PORT 0, the default, picks a free one and prints port=N)
 *
 * Each regular file of CAPTURE_DIR is one response, as bench.py writes it:
 *     METHOD PATH\n STATUS\n (Name: value\n)* \n BODY
 * A request whose method and path match gets that status, those header fields and that body; anything else 404.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/*
 * Keep equal to HTTPServer.startDaemon (Sources/ArenaHTTP/HTTP/HTTPServer.swift): any difference would be
 * measured as a difference of the daemon. bench.py passes the values it also writes into the daemon's
 * configuration with -D, so these defaults only matter when this file is built by hand.
 */
#define DAEMON_FLAGS (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG)
#ifndef THREADS
#define THREADS 2
#endif
#ifndef MAX_CONNECTIONS
#define MAX_CONNECTIONS 512
#endif
#ifndef CONNECTION_TIMEOUT_SECONDS
#define CONNECTION_TIMEOUT_SECONDS 30
#endif
#ifndef CONNECTION_MEMORY_BYTES
#define CONNECTION_MEMORY_BYTES 65536
#endif
#ifndef MAX_BODY_BYTES
#define MAX_BODY_BYTES 1048576
#endif

#define MAX_HEADERS 8
#define MAX_RESPONSES 64

struct captured {
    const char *method, *path;
    unsigned int status;
    const char *header_names[MAX_HEADERS], *header_values[MAX_HEADERS];
    int header_count;
    const char *body;
    size_t body_size;
};

static struct captured responses[MAX_RESPONSES];
static int response_count;

/* The body read so far. Every request gets one, as every daemon request gets a RequestState. */
struct request_body {
    char *bytes;
    size_t size;
    int too_large;
};

/* Splits off the next line in place; NULL at the end of the text. */
static char *next_line(char **cursor, char *end)
{
    char *line = *cursor, *newline = memchr(line, '\n', (size_t)(end - line));
    if (newline == NULL)
        return NULL;
    *newline = '\0';
    *cursor = newline + 1;
    return line;
}

/* Loads one capture; its strings point into the file's bytes, which stay allocated for the process's life. */
static int load(const char *file_path)
{
    FILE *file = fopen(file_path, "rb");
    if (file == NULL)
        return -1;
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    rewind(file);
    char *text = malloc((size_t)size + 1);
    if (text == NULL || fread(text, 1, (size_t)size, file) != (size_t)size) {
        fclose(file);
        return -1;
    }
    fclose(file);
    char *cursor = text, *end = text + size, *line, *space;
    struct captured *response = &responses[response_count];
    if ((line = next_line(&cursor, end)) == NULL || (space = strchr(line, ' ')) == NULL)
        return -1;
    *space = '\0';
    response->method = line;
    response->path = space + 1;
    if ((line = next_line(&cursor, end)) == NULL || (response->status = (unsigned int)atoi(line)) == 0)
        return -1;
    while ((line = next_line(&cursor, end)) != NULL && *line != '\0') {
        char *colon = strstr(line, ": ");
        if (colon == NULL || response->header_count == MAX_HEADERS)
            return -1;
        *colon = '\0';
        response->header_names[response->header_count] = line;
        response->header_values[response->header_count++] = colon + 2;
    }
    if (line == NULL)
        return -1;
    response->body = cursor;
    response->body_size = (size_t)(end - cursor);
    response_count++;
    return 0;
}

/* `found` NULL: an empty body with `status`. */
static enum MHD_Result send_response(struct MHD_Connection *connection, unsigned int status,
                                     const struct captured *found)
{
    /* MUST_COPY, as the daemon: its bytes are a Swift array that dies with the request, so MHD copies them. */
    struct MHD_Response *response = found == NULL
        ? MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_MUST_COPY)
        : MHD_create_response_from_buffer(found->body_size, (void *)found->body, MHD_RESPMEM_MUST_COPY);
    if (response == NULL)
        return MHD_NO;
    for (int i = 0; found != NULL && i < found->header_count; i++)
        MHD_add_response_header(response, found->header_names[i], found->header_values[i]);
    enum MHD_Result result = MHD_queue_response(connection, found == NULL ? status : found->status, response);
    MHD_destroy_response(response);
    return result;
}

/* Same protocol as the daemon's handler: the first call only sets up, body chunks are copied, the last answers. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size,
                              void **req_cls)
{
    (void)cls;
    (void)version;
    struct request_body *body = *req_cls;
    if (body == NULL) {
        if ((body = calloc(1, sizeof *body)) == NULL)
            return MHD_NO;
        *req_cls = body;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        /* Bounded like the daemon's limits.max_body_bytes: an oversized body is dropped as it arrives. */
        if (body->size + *upload_data_size > MAX_BODY_BYTES) {
            body->too_large = 1;
        } else if (!body->too_large) {
            char *grown = realloc(body->bytes, body->size + *upload_data_size);
            if (grown == NULL)
                return MHD_NO;
            memcpy(grown + body->size, upload_data, *upload_data_size);
            body->bytes = grown;
            body->size += *upload_data_size;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (body->too_large)
        return send_response(connection, MHD_HTTP_CONTENT_TOO_LARGE, NULL);
    /* url comes without the query: MHD cuts it at '?' (and percent-decodes it). */
    for (int i = 0; i < response_count; i++)
        if (strcmp(responses[i].method, method) == 0 && strcmp(responses[i].path, url) == 0)
            return send_response(connection, 0, &responses[i]);
    return send_response(connection, MHD_HTTP_NOT_FOUND, NULL);
}

static void completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                      enum MHD_RequestTerminationCode termination)
{
    (void)cls;
    (void)connection;
    (void)termination;
    struct request_body *body = *req_cls;
    if (body != NULL) {
        free(body->bytes);
        free(body);
        *req_cls = NULL;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s CAPTURE_DIR [PORT]\n", argv[0]);
        return 64;
    }
    DIR *directory = opendir(argv[1]);
    if (directory == NULL) {
        perror(argv[1]);
        return 1;
    }
    for (struct dirent *entry; (entry = readdir(directory)) != NULL;) {
        if (entry->d_name[0] == '.')
            continue;
        char file_path[4096];
        snprintf(file_path, sizeof file_path, "%s/%s", argv[1], entry->d_name);
        if (response_count == MAX_RESPONSES || load(file_path) != 0) {
            fprintf(stderr, "reference: cannot load %s\n", file_path);
            return 1;
        }
    }
    closedir(directory);

    /* Blocked before MHD starts, so its threads inherit the mask and only sigwait below sees the signals. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* 127.0.0.1 like the daemon's listen.host; loopback and any-address sockets do not cost the same. */
    uint16_t port = argc == 3 ? (uint16_t)atoi(argv[2]) : 0;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct MHD_OptionItem options[] = {
        {MHD_OPTION_SOCK_ADDR, 0, &address},
        {MHD_OPTION_CONNECTION_LIMIT, MAX_CONNECTIONS, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT_SECONDS, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONNECTION_MEMORY_BYTES, NULL},
        /* The daemon asks for a pool only above one thread; one thread is then the polling thread itself. */
        {THREADS > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, THREADS, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_Daemon *daemon = MHD_start_daemon(DAEMON_FLAGS, port, NULL, NULL, handle, NULL,
                                                 MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                                                 MHD_OPTION_ARRAY, options, MHD_OPTION_END);
    if (daemon == NULL) {
        fprintf(stderr, "reference: cannot start the daemon on port %u\n", port);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, "reference: %d responses from %s\n", response_count, argv[1]);
    if (port == 0) {
        printf("port=%u\n", info == NULL ? 0 : info->port);
        fflush(stdout);
    }
    int caught;
    sigwait(&signals, &caught);
    MHD_stop_daemon(daemon);
    return 0;
}
