/*
 * The ceiling of any relay on this machine, for bench/proxy.mjs --ceiling: one TCP connection
 * accepted on 127.0.0.1 (an ephemeral port, printed), the request passed to 127.0.0.1:PORT, and
 * the response spliced back (socket → pipe → socket, blocking, 1 MiB pipe), then exit. No sandbox,
 * no proxy, no decisions: only the second loopback TCP hop a relay adds.
 *   cc -O2 -o splice-relay bench/splice-relay.c && ./splice-relay PORT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc != 2) return 2;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len)) return 1;
	printf("%u\n", ntohs(a.sin_port));
	fflush(stdout);
	int c = accept(l, NULL, NULL), u = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in b = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (c < 0 || u < 0 || connect(u, (struct sockaddr *)&b, sizeof b)) return 1;
	char req[8192];
	ssize_t n = read(c, req, sizeof req); /* curl's GET fits one read */
	if (n <= 0 || write(u, req, (size_t)n) != n) return 1;
	int p[2];
	if (pipe(p)) return 1;
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	while ((n = splice(u, NULL, p[1], NULL, 1 << 20, SPLICE_F_MOVE)) > 0)
		while (n > 0) {
			ssize_t m = splice(p[0], NULL, c, NULL, (size_t)n, SPLICE_F_MOVE);
			if (m <= 0) return 0; /* curl has all it asked for and closed */
			n -= m;
		}
	return 0;
}
