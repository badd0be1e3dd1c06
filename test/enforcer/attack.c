/*
 * attack: one action a sandbox should stop, reported by exit status.
 *
 *   attack connect PORT   TCP connect to 127.0.0.1:PORT
 *   attack ptrace         ptrace(PTRACE_TRACEME)
 *   attack unshare        unshare(CLONE_NEWUSER)
 *   attack fds N          open /dev/null N times
 *
 * Exit 0 and "ok" when the action worked, 1 and "errno=<n>" when the kernel refused it, 2 on a
 * usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int report(int ok) {
	if (ok) {
		printf("ok\n");
		return 0;
	}
	printf("errno=%d\n", errno);
	return 1;
}

/* 127.0.0.1:port */
static struct sockaddr_in loopback(const char *port) {
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)atoi(port));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

int main(int argc, char **argv) {
	/* connect PORT [PROTOCOL]: a TCP-like stream to 127.0.0.1 (PROTOCOL 262: MPTCP) */
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "connect") == 0) {
		int s = socket(AF_INET, SOCK_STREAM, argc == 4 ? atoi(argv[3]) : 0);
		if (s < 0) return report(0);
		struct sockaddr_in a = loopback(argv[2]);
		return report(connect(s, (struct sockaddr *)&a, sizeof a) == 0);
	}
	/* fastopen PORT: connect to 127.0.0.1 by a TCP Fast Open send, without connect(2) */
	if (argc == 3 && strcmp(argv[1], "fastopen") == 0) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (s < 0) return report(0);
		struct sockaddr_in a = loopback(argv[2]);
		return report(sendto(s, "x", 1, MSG_FASTOPEN, (struct sockaddr *)&a, sizeof a) == 1);
	}
	if (argc == 3 && strcmp(argv[1], "uconnect") == 0) {
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un a;
		memset(&a, 0, sizeof a);
		a.sun_family = AF_UNIX;
		if (s < 0 || strlen(argv[2]) >= sizeof a.sun_path) return report(0);
		memcpy(a.sun_path, argv[2], strlen(argv[2]) + 1);
		return report(connect(s, (struct sockaddr *)&a, sizeof a) == 0);
	}
	if (argc == 2 && strcmp(argv[1], "ptrace") == 0) return report(ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0);
	if (argc == 2 && strcmp(argv[1], "unshare") == 0) return report(unshare(CLONE_NEWUSER) == 0);
	if (argc == 3 && strcmp(argv[1], "fds") == 0) {
		for (int i = 0, n = atoi(argv[2]); i < n; i++)
			if (open("/dev/null", O_RDONLY) < 0) return report(0);
		return report(1);
	}
	fprintf(stderr, "usage: attack connect PORT | ptrace | unshare | fds N\n");
	return 2;
}
