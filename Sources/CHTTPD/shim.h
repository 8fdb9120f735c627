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
#include <microhttpd.h>

/*
 * Why: MHD_start_daemon is variadic. Options travel in an MHD_OPTION_ARRAY (integers and single pointers),
 * except the completion callback: in an option array its function pointer would have to be cast to intptr_t,
 * which Swift can only do with unsafeBitCast, so it is a typed parameter here instead.
 * No accept-policy callback and no per-connection notification are installed.
 * `options` must end with {MHD_OPTION_END, 0, NULL}; MHD reads it only during this call.
 */
static inline struct MHD_Daemon *chttpd_start_daemon(unsigned int flags,
                                                     uint16_t port,
                                                     MHD_AccessHandlerCallback access_handler,
                                                     void *access_handler_cls,
                                                     MHD_RequestCompletedCallback completed,
                                                     void *completed_cls,
                                                     const struct MHD_OptionItem *options)
{
    return MHD_start_daemon(flags, port, NULL, NULL, access_handler, access_handler_cls,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
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

#endif
