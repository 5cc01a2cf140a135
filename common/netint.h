/*
 * common/netint.h -- what the server (net.c) and the client (netclient.c)
 * of the DNS transport share. Internal to common/: daemons use net.h.
 */
#ifndef HS_NETINT_H
#define HS_NETINT_H

#include <stddef.h>
#include <stdint.h>

#include "common/net.h"

#define DEF_MAX_MSG     HS_NET_MSG_MAX
#define DEF_IDLE_MS     10000
#define DEF_MAX_CONNS   256
#define DEF_MAX_PENDING 32
#define DEF_MAX_UDP     1024
#define DEF_TIMEOUT_MS  2000
#define DEF_RETRIES     2
#define READ_CHUNK      4096
#define WQ_MAX          (1u << 20)   /* answers queued to a slow reader before we stop reading */

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* Grow a framing buffer so a read can land after the `len` bytes held:
 * room for the whole message being read, or READ_CHUNK more. */
int hs_net_frame_room(uint8_t **buf, size_t *cap, size_t len, size_t max_msg);

#endif /* HS_NETINT_H */
