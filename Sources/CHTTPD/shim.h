#ifndef ARENA_CHTTPD_SHIM_H
#define ARENA_CHTTPD_SHIM_H
/*
 * libmicrohttpd for Swift.
 *
 * Swift imports every non-variadic libmicrohttpd function directly. The wrappers below exist only because
 * Swift cannot call C-variadic functions (MHD_start_daemon, MHD_get_daemon_info, ...). Each is a
 * static inline, prefixed `chttpd_`, and does nothing but fix the variadic arguments.
 */
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <microhttpd.h>

/*
 * Why: MHD_start_daemon is variadic. Options travel in an MHD_OPTION_ARRAY (integers and single pointers),
 * except the callbacks: in an option array a function pointer would have to be cast to intptr_t, which Swift can
 * only do with unsafeBitCast, so each is a typed parameter here instead. They share one context pointer.
 * - completed: MHD_OPTION_NOTIFY_COMPLETED, once per request, answered or not.
 * - uri_log: MHD_OPTION_URI_LOG_CALLBACK, when the request line arrives, with the target as the client sent it
 *   (before libmicrohttpd percent-decodes it); its result becomes the request's *req_cls.
 * - connection: MHD_OPTION_NOTIFY_CONNECTION, when a connection opens and when it closes (before its socket
 *   is closed), with the connection's *socket_context.
 * - logger: MHD_OPTION_EXTERNAL_LOGGER, every message libmicrohttpd would print itself.
 * No accept-policy callback is installed.
 * `options` must end with {MHD_OPTION_END, 0, NULL}; MHD reads it only during this call.
 */
typedef void *(*chttpd_uri_log_callback)(void *cls, const char *uri, struct MHD_Connection *connection);

static inline struct MHD_Daemon *chttpd_start_daemon(unsigned int flags,
                                                     uint16_t port,
                                                     MHD_AccessHandlerCallback access_handler,
                                                     MHD_RequestCompletedCallback completed,
                                                     chttpd_uri_log_callback uri_log,
                                                     MHD_NotifyConnectionCallback connection,
                                                     MHD_LogCallback logger,
                                                     void *context,
                                                     const struct MHD_OptionItem *options)
{
    /* The logger first: libmicrohttpd prints with its own logger until it has seen this option. */
    return MHD_start_daemon(flags, port, NULL, NULL, access_handler, context,
                            MHD_OPTION_EXTERNAL_LOGGER, logger, context,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, context,
                            MHD_OPTION_URI_LOG_CALLBACK, uri_log, context,
                            MHD_OPTION_NOTIFY_CONNECTION, connection, context,
                            MHD_OPTION_ARRAY, (struct MHD_OptionItem *)options,
                            MHD_OPTION_END);
}

/*
 * Why: MHD_get_daemon_info is variadic. Returns the port the listening socket is bound to (the one the
 * kernel chose when port 0 was asked for), or 0 if it is unknown.
 */
static inline uint16_t chttpd_bound_port(struct MHD_Daemon *daemon)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

/*
 * Why: MHD_get_daemon_info is variadic. Returns the connections open now, summed over the worker threads
 * (suspended ones included), for the http_open_connections gauge.
 */
static inline unsigned int chttpd_open_connections(struct MHD_Daemon *daemon)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info == NULL ? 0 : info->num_connections;
}

/*
 * Why: MHD_get_connection_info is variadic. The client's IPv4 address (host byte order) and port, for the
 * request log; 0 and 0 when the peer is not IPv4.
 */
static inline void chttpd_client_address(struct MHD_Connection *connection, uint32_t *address, uint16_t *port)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    *address = 0;
    *port = 0;
    if (info != NULL && info->client_addr != NULL && info->client_addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)info->client_addr;
        *address = ntohl(in->sin_addr.s_addr);
        *port = ntohs(in->sin_port);
    }
}

/*
 * Why: MHD_get_connection_info is variadic. The connection's socket, for the watchdog that ends requests past
 * their deadline (it writes the 408 and shuts the socket down; libmicrohttpd then closes it); -1 if unknown.
 */
static inline int chttpd_connection_fd(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info == NULL ? -1 : info->connect_fd;
}

/*
 * Why: MHD_get_connection_info is variadic. The *socket_context the connection-notification callback set.
 */
static inline void *chttpd_socket_context(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info == NULL ? NULL : info->socket_context;
}

#endif
