/*
 * ringfence oracle guest: replays traces on a real kernel, one result record per
 * command, in the record format of docs/trace-format.md.
 *
 * Build: gcc -O2 -static -o guest guest.c   (raw syscalls; abi.h vendors the ABI)
 * Run:   as PID 1 of a throw-away qemu guest (reads /traces.wire, writes to the
 *        virtio console hvc0, powers off), or natively: ./guest FILE.wire (or stdin).
 *
 * Every task of a trace is a real process. A coordinator forks the trace's `init`
 * task, sends it the commands in file order (by index: every process holds the parsed
 * trace, which it inherited through fork; a run of consecutive commands of one task
 * goes as one message, ending at a fork or an exit) over an AF_UNIX SOCK_SEQPACKET
 * channel and reads back one record per command, which the task leaves in a shared page. `fork C` really forks: the child
 * gets a new channel whose other end the parent passes to the coordinator with
 * SCM_RIGHTS. Each trace runs in its own process group with per-command and
 * per-trace timeouts; afterwards the group is killed and reaped.
 *
 * WIRE FORM (version 1), one item per line, tokens separated by single spaces;
 * integers are decimal (u64 fields unsigned, others may be negative), names match
 * [A-Za-z_][A-Za-z0-9_.-]*. Lines starting with '#' are comments.
 *
 *   W 1 [cmd_ms=N] [trace_ms=N]        header: wire version and timeouts
 *   T NAME                             a trace begins (fresh world)
 *   I TASK VERB ARGS...                one command; I is the record's index
 *   E                                  the trace ends
 *
 * VERB ARGS (R is a ring name; '-' as the target means the task, fd -1):
 *   ring R ENTRIES FLAGS
 *   close R
 *   enable R
 *   register R OP
 *   restrict R|- N TYPE:VALUE...       N entries
 *   bpf R|- OP FLAGS PDU CMD_TYPE CMD_FLAGS RESV RESV2 LEN NR_ARGS PTRNULL FRESV N C:JT:JF:K...
 *                                      LEN -1 = the program's length; FRESV = filter.resv[3]
 *                                      as a little-endian value; PTRNULL 1 = filter_ptr NULL
 *   sqe R OPCODE FLAGS UD IOPRIO FD OFF ADDR LEN OPF BUF PERS FIDX ADDR3 [path=HEX] [how=F:M:R] [sa=HEX]
 *                                      path/sa bytes in hex; the guest points addr at them
 *                                      (and off at the open_how), as the trace's pointers say
 *   submit R | cqes R | nnp | setuid UID | fork CHILD | exit
 *
 * OUTPUT: lines starting with "@@ " carry JSON; anything else is noise (kernel log).
 *   @@ {"hello":"ringfence-guest","wire":1,"release":"...","pid1":true,"bpf_filter_probe":0}
 *   @@ {"fatal":"wire line N: ..."}   a malformed wire line: nothing after it runs
 *   @@ {"trace":NAME,"i":I,"task":TASK,"c":VERB,...fields}     one per command
 *   @@ {"end":NAME,"status":"ok"|"timeout at I"|"task T died at I (...)","us":N}
 *   @@ {"summary":{"traces":N,"ok":N,"failed":N,"us":N}}
 *
 * Fields, as trace-format.md: ring/close/enable/register/restrict/nnp/setuid/fork/exit
 * "ret"; bpf "ret" and "pdu" when the kernel wrote pdu_size back (seen through the
 * page's soft-dirty bit); sqe "queued","op","ud"; submit "ret","left"; cqes "cqes".
 * A ring name stands for an fd number, as in the simulator's replayer: after a failed
 * setup, one that is never open; after `close R`, the closed number (which a later ring
 * may reuse). `sqe` and `cqes` on a name with no live ring mapping in the task report
 * queued -EBADF and ret -EBADF; `submit` still enters the kernel with the fd.
 * A full SQ makes `sqe` report queued -EBUSY without writing anything.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "abi.h"

#define PREFIX "@@ "
#define CHAN_FD 900     /* the task's channel to the coordinator */
#define PROC_FD 901     /* a directory fd on procfs (unmounted from the tree in the guest) */
#define BAD_FD 1020     /* never open: what an unbound ring name stands for */
#define MAX_RINGS 256
#define REC_MAX (1 << 20)

static const char *const OPNAMES[] = {
	"NOP", "READV", "WRITEV", "FSYNC", "READ_FIXED", "WRITE_FIXED", "POLL_ADD", "POLL_REMOVE",
	"SYNC_FILE_RANGE", "SENDMSG", "RECVMSG", "TIMEOUT", "TIMEOUT_REMOVE", "ACCEPT", "ASYNC_CANCEL",
	"LINK_TIMEOUT", "CONNECT", "FALLOCATE", "OPENAT", "CLOSE", "FILES_UPDATE", "STATX", "READ", "WRITE",
	"FADVISE", "MADVISE", "SEND", "RECV", "OPENAT2", "EPOLL_CTL", "SPLICE", "PROVIDE_BUFFERS",
	"REMOVE_BUFFERS", "TEE", "SHUTDOWN", "RENAMEAT", "UNLINKAT", "MKDIRAT", "SYMLINKAT", "LINKAT",
	"MSG_RING", "FSETXATTR", "SETXATTR", "FGETXATTR", "GETXATTR", "SOCKET", "URING_CMD", "SEND_ZC",
	"SENDMSG_ZC", "READ_MULTISHOT", "WAITID", "FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_WAITV",
	"FIXED_FD_INSTALL", "FTRUNCATE", "BIND", "LISTEN", "RECV_ZC", "EPOLL_WAIT", "READV_FIXED",
	"WRITEV_FIXED", "PIPE", "NOP128", "URING_CMD128",
};
#define NOPNAMES (int)(sizeof(OPNAMES) / sizeof(OPNAMES[0]))

/* ---------------------------------------------------------------- the wire model */

enum verb { V_RING, V_CLOSE, V_ENABLE, V_REGISTER, V_RESTRICT, V_BPF, V_SQE, V_SUBMIT, V_CQES,
	    V_NNP, V_SETUID, V_FORK, V_EXIT };
static const char *const VERBS[] = { "ring", "close", "enable", "register", "restrict", "bpf", "sqe",
				     "submit", "cqes", "nnp", "setuid", "fork", "exit" };
#define NVERBS 13

struct cmd {
	int i;
	enum verb verb;
	char *task;
	char *ring;  /* NULL: the task (fd -1) */
	char *child;
	int64_t n[12];
	uint64_t u[4];
	int nres;
	struct io_uring_restriction *res;
	int ninsn;
	struct sock_filter_insn *insns;
	char *path;
	int has_how;
	struct open_how how;
	uint8_t *sa;
	size_t salen;
};

struct trace {
	char *name;
	int ncmd;
	struct cmd *cmds;
};

static int ntraces;
static int cmd_ms = 5000, trace_ms = 10000;

/* ---------------------------------------------------------------- output */

static int out_fd = 1;
static char outbuf[1 << 16];
static size_t outlen;

static void out_flush(void)
{
	size_t off = 0;
	while (off < outlen) {
		ssize_t w = write(out_fd, outbuf + off, outlen - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	outlen = 0;
}

static void out_raw(const char *s, size_t n)
{
	while (n) {
		if (outlen == sizeof(outbuf))
			out_flush();
		size_t k = sizeof(outbuf) - outlen;
		if (k > n)
			k = n;
		memcpy(outbuf + outlen, s, k);
		outlen += k;
		s += k;
		n -= k;
	}
}

static void out_line(const char *fmt, ...)
{
	char tmp[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n >= (int)sizeof(tmp))
		n = sizeof(tmp) - 1;
	out_raw(PREFIX, strlen(PREFIX));
	out_raw(tmp, (size_t)n);
	out_raw("\n", 1);
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---------------------------------------------------------------- wire parsing */

/*
 * Traces are read and run one at a time, and everything parsed for a trace is freed
 * after it: the coordinator stays small, so forking a trace's tasks stays cheap (under
 * TCG a fork costs in proportion to the memory it copies).
 */
static void **pool;
static size_t npool, poolcap;

static void *palloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (npool == poolcap)
		pool = realloc(pool, (poolcap = poolcap ? poolcap * 2 : 256) * sizeof(*pool));
	pool[npool++] = p;
	return p;
}

static char *pstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(palloc(n), s, n);
}

static void pfree_all(void)
{
	for (size_t k = 0; k < npool; k++)
		free(pool[k]);
	npool = 0;
}

#define MAXTOK 8200

static int wire_line;
static char wire_err[512];

static int fail_parse(const char *what, const char *tok)
{
	snprintf(wire_err, sizeof(wire_err), "wire line %d: %s%s%s", wire_line, what, tok ? ": " : "", tok ? tok : "");
	return -1;
}

static int name_ok(const char *s)
{
	if (!s || !*s || !(s[0] == '_' || ((s[0] | 32) >= 'a' && (s[0] | 32) <= 'z')))
		return 0;
	for (const char *p = s; *p; p++)
		if (!(*p == '_' || *p == '.' || *p == '-' || (*p >= '0' && *p <= '9') || ((*p | 32) >= 'a' && (*p | 32) <= 'z')))
			return 0;
	return 1;
}

static int p_i64(const char *t, int64_t *v)
{
	char *end;
	if (!t || !*t)
		return -1;
	errno = 0;
	long long x = strtoll(t, &end, 0);
	if (*end || errno)
		return -1;
	*v = x;
	return 0;
}

static int p_u64(const char *t, uint64_t *v)
{
	char *end;
	if (!t || !*t || *t == '-')
		return -1;
	errno = 0;
	unsigned long long x = strtoull(t, &end, 0);
	if (*end || errno)
		return -1;
	*v = x;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 32) >= 'a' && (c | 32) <= 'f')
		return (c | 32) - 'a' + 10;
	return -1;
}

/* Decode hex into a new NUL-terminated buffer. */
static uint8_t *p_hex(const char *t, size_t *len)
{
	size_t n = strlen(t);
	if (n % 2)
		return NULL;
	uint8_t *b = palloc(n / 2 + 1);
	for (size_t k = 0; k < n / 2; k++) {
		int hi = hexval(t[2 * k]), lo = hexval(t[2 * k + 1]);
		if (hi < 0 || lo < 0)
			return NULL;
		b[k] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return b;
}

static int parse_cmd(char **tok, int nt, struct cmd *c)
{
	int64_t v;
	memset(c, 0, sizeof(*c));
	if (nt < 3)
		return fail_parse("a command needs an index, a task and a verb", NULL);
	if (p_i64(tok[0], &v) || v < 0)
		return fail_parse("bad command index", tok[0]);
	c->i = (int)v;
	if (!name_ok(tok[1]))
		return fail_parse("bad task name", tok[1]);
	c->task = pstrdup(tok[1]);
	int vb = -1;
	for (int k = 0; k < NVERBS; k++)
		if (!strcmp(tok[2], VERBS[k]))
			vb = k;
	if (vb < 0)
		return fail_parse("unknown verb", tok[2]);
	c->verb = (enum verb)vb;
	char **a = tok + 3;
	int na = nt - 3;

#define NEED(k) do { if (na < (k)) return fail_parse("too few operands for", tok[2]); } while (0)
#define RINGARG(x, task_ok) do { \
		if ((task_ok) && !strcmp((x), "-")) c->ring = NULL; \
		else if (name_ok(x)) c->ring = pstrdup(x); \
		else return fail_parse("bad ring name", (x)); } while (0)
#define NUM(k, slot) do { if (p_i64(a[k], &c->n[slot])) return fail_parse("bad number", a[k]); } while (0)
#define UNUM(k, slot) do { if (p_u64(a[k], &c->u[slot])) return fail_parse("bad unsigned number", a[k]); } while (0)

	switch (c->verb) {
	case V_RING:
		NEED(3);
		RINGARG(a[0], 0);
		NUM(1, 0);
		NUM(2, 1);
		break;
	case V_CLOSE: case V_ENABLE: case V_SUBMIT: case V_CQES:
		NEED(1);
		RINGARG(a[0], 0);
		break;
	case V_REGISTER:
		NEED(2);
		RINGARG(a[0], 0);
		NUM(1, 0);
		break;
	case V_RESTRICT: {
		NEED(2);
		RINGARG(a[0], 1);
		int64_t n;
		if (p_i64(a[1], &n) || n < 0 || n > 4096 || na != 2 + n)
			return fail_parse("bad restriction count", a[1]);
		c->nres = (int)n;
		c->res = palloc(((size_t)n + 1) * sizeof(*c->res));
		for (int k = 0; k < n; k++) {
			char *colon = strchr(a[2 + k], ':');
			int64_t ty, val;
			if (!colon)
				return fail_parse("bad restriction entry", a[2 + k]);
			*colon = 0;
			if (p_i64(a[2 + k], &ty) || p_i64(colon + 1, &val))
				return fail_parse("bad restriction entry", a[2 + k]);
			c->res[k].opcode = (uint16_t)ty;
			c->res[k].value = (uint8_t)val;
		}
		break;
	}
	case V_BPF: {
		NEED(14);
		RINGARG(a[0], 1);
		for (int k = 0; k < 6; k++)
			NUM(1 + k, k); /* op flags pdu cmd_type cmd_flags resv */
		UNUM(7, 0);        /* resv2 */
		for (int k = 0; k < 4; k++)
			NUM(8 + k, 6 + k); /* len nr_args ptrnull fresv */
		int64_t n;
		if (p_i64(a[12], &n) || n < 0 || n > 8192 || na != 13 + n)
			return fail_parse("bad instruction count", a[12]);
		c->ninsn = (int)n;
		c->insns = palloc(((size_t)n + 1) * sizeof(*c->insns));
		for (int k = 0; k < n; k++) {
			unsigned code, jt, jf;
			unsigned long long kk;
			char extra;
			if (sscanf(a[13 + k], "%u:%u:%u:%llu%c", &code, &jt, &jf, &kk, &extra) != 4 || code > 0xffff || jt > 255 ||
			    jf > 255 || kk > 0xffffffffull)
				return fail_parse("bad instruction", a[13 + k]);
			c->insns[k] = (struct sock_filter_insn){ (uint16_t)code, (uint8_t)jt, (uint8_t)jf, (uint32_t)kk };
		}
		break;
	}
	case V_SQE: {
		NEED(14);
		RINGARG(a[0], 0);
		NUM(1, 0);  /* opcode */
		NUM(2, 1);  /* flags */
		UNUM(3, 0); /* ud */
		NUM(4, 2);  /* ioprio */
		NUM(5, 3);  /* fd */
		UNUM(6, 1); /* off */
		UNUM(7, 2); /* addr */
		NUM(8, 4);  /* len */
		NUM(9, 5);  /* opf */
		NUM(10, 6); /* buf */
		NUM(11, 7); /* pers */
		NUM(12, 8); /* fidx */
		UNUM(13, 3); /* addr3 */
		for (int k = 14; k < na; k++) {
			size_t len;
			if (!strncmp(a[k], "path=", 5)) {
				if (!(c->path = (char *)p_hex(a[k] + 5, &len)))
					return fail_parse("bad path hex", a[k]);
			} else if (!strncmp(a[k], "sa=", 3)) {
				if (!(c->sa = p_hex(a[k] + 3, &c->salen)))
					return fail_parse("bad sockaddr hex", a[k]);
			} else if (!strncmp(a[k], "how=", 4)) {
				unsigned long long f, m, r;
				char extra;
				if (sscanf(a[k] + 4, "%llu:%llu:%llu%c", &f, &m, &r, &extra) != 3)
					return fail_parse("bad open_how", a[k]);
				c->has_how = 1;
				c->how = (struct open_how){ f, m, r };
			} else {
				return fail_parse("unknown sqe extra", a[k]);
			}
		}
		break;
	}
	case V_NNP: case V_EXIT:
		break;
	case V_SETUID:
		NEED(1);
		NUM(0, 0);
		break;
	case V_FORK:
		NEED(1);
		if (!name_ok(a[0]))
			return fail_parse("bad task name", a[0]);
		c->child = pstrdup(a[0]);
		break;
	}
	return 0;
}

static FILE *wire_in;
static char *wire_buf;
static size_t wire_cap;

/* Split the next non-comment line into tokens; returns the count, 0 at EOF, -1 on error. */
static int next_line(char **tok)
{
	for (;;) {
		ssize_t n = getline(&wire_buf, &wire_cap, wire_in);
		if (n < 0)
			return 0;
		wire_line++;
		while (n > 0 && (wire_buf[n - 1] == '\n' || wire_buf[n - 1] == '\r'))
			wire_buf[--n] = 0;
		if (!wire_buf[0] || wire_buf[0] == '#')
			continue;
		int nt = 0;
		char *s2 = NULL;
		for (char *w = strtok_r(wire_buf, " ", &s2); w; w = strtok_r(NULL, " ", &s2)) {
			if (nt == MAXTOK)
				return fail_parse("too many tokens", NULL);
			tok[nt++] = w;
		}
		if (nt)
			return nt;
	}
}

static char *tokv[MAXTOK];

/* The `W 1` header line. */
static int read_header(void)
{
	int nt = next_line(tokv);
	if (nt < 0)
		return -1;
	if (nt < 2 || strcmp(tokv[0], "W") || strcmp(tokv[1], "1"))
		return fail_parse("expected the header `W 1`", nt ? tokv[0] : "end of input");
	for (int k = 2; k < nt; k++) {
		int64_t v;
		if (!strncmp(tokv[k], "cmd_ms=", 7) && !p_i64(tokv[k] + 7, &v) && v > 0)
			cmd_ms = (int)v;
		else if (!strncmp(tokv[k], "trace_ms=", 9) && !p_i64(tokv[k] + 9, &v) && v > 0)
			trace_ms = (int)v;
		else
			return fail_parse("bad header option", tokv[k]);
	}
	return 0;
}

/* The next trace into *t (freeing the previous one's memory): 1, 0 at EOF, -1 on error. */
static int read_trace(struct trace *t)
{
	pfree_all();
	int nt = next_line(tokv);
	if (nt <= 0)
		return nt;
	if (strcmp(tokv[0], "T"))
		return fail_parse("expected `T NAME` to begin a trace", tokv[0]);
	if (nt != 2 || !name_ok(tokv[1]))
		return fail_parse("bad trace name", nt > 1 ? tokv[1] : NULL);
	t->name = pstrdup(tokv[1]);
	t->ncmd = 0;
	t->cmds = NULL;
	int cap = 0;
	for (;;) {
		nt = next_line(tokv);
		if (nt < 0)
			return -1;
		if (nt == 0)
			return fail_parse("the last trace has no `E`", NULL);
		if (!strcmp(tokv[0], "E"))
			return 1;
		if (!strcmp(tokv[0], "T"))
			return fail_parse("trace not ended before", tokv[0]);
		if (t->ncmd == cap) {
			struct cmd *n = palloc((size_t)(cap = cap ? cap * 2 : 16) * sizeof(*n));
			if (t->ncmd)
				memcpy(n, t->cmds, (size_t)t->ncmd * sizeof(*n));
			t->cmds = n;
		}
		if (parse_cmd(tokv, nt, &t->cmds[t->ncmd]))
			return -1;
		t->ncmd++;
	}
}

/* ---------------------------------------------------------------- shared arena */

struct ring_counts {
	uint64_t submitted;  /* SQEs the kernel consumed */
	uint64_t skippable;  /* ... of which may post no CQE (CQE_SKIP_SUCCESS) */
	uint64_t late;       /* ... of those, ones that may complete from io-wq, after submit */
	uint64_t seen;       /* CQEs reaped */
};

struct arena {
	uint32_t reclen;
	int32_t nslots;
	struct ring_counts slots[MAX_RINGS];
	char rec[REC_MAX];
};

static struct arena *arena;

/* ---------------------------------------------------------------- a task's rings */

/*
 * A ring name stands for an fd number, as in the simulator: after `close R` the name
 * still names that number (which a later ring or socket may reuse). Mappings are kept
 * per fd while the fd is open in this process.
 */
struct ring {
	int fd;
	int live;
	int slot; /* in arena->slots */
	uint32_t flags;
	uint32_t sq_entries, cq_entries;
	unsigned sqe_size, cqe_size;
	uint8_t *sq_ring, *cq_ring, *sqes;
	size_t ring_sz, sqes_sz;
	uint32_t *sq_khead, *sq_ktail, *sq_mask, *sq_array;
	uint32_t *cq_khead, *cq_ktail, *cq_mask;
	uint8_t *cqes;
};

struct ring_name {
	const char *name;
	int fd;
};

static struct ring rings[MAX_RINGS];
static int nrings;
static struct ring_name names[MAX_RINGS];
static int nnames;
static const char *my_task;
static const struct trace *cur;

static int ring_fd(const char *name)
{
	for (int k = nnames - 1; k >= 0; k--)
		if (!strcmp(names[k].name, name))
			return names[k].fd;
	return BAD_FD;
}

static void bind_name(const char *name, int fd)
{
	for (int k = 0; k < nnames; k++)
		if (!strcmp(names[k].name, name)) {
			names[k].fd = fd;
			return;
		}
	if (nnames < MAX_RINGS)
		names[nnames++] = (struct ring_name){ name, fd };
}

/* The live mapping of the ring a name stands for, if any. */
static struct ring *find_ring(const char *name)
{
	int fd = ring_fd(name);
	for (int k = nrings - 1; k >= 0; k--)
		if (rings[k].live && rings[k].fd == fd)
			return &rings[k];
	return NULL;
}

static long sys_setup(unsigned entries, struct io_uring_params *p)
{
	long r = syscall(NR_io_uring_setup, entries, p);
	return r < 0 ? -errno : r;
}

static long sys_enter(int fd, unsigned submit, unsigned min, unsigned flags, void *arg, size_t argsz)
{
	long r = syscall(NR_io_uring_enter, fd, submit, min, flags, arg, argsz);
	return r < 0 ? -errno : r;
}

static long sys_register(int fd, unsigned op, void *arg, unsigned nr)
{
	long r = syscall(NR_io_uring_register, fd, op, arg, nr);
	return r < 0 ? -errno : r;
}

/* ---------------------------------------------------------------- records */

static char *rp;
static char *rend;

static void rec_add(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(rp, (size_t)(rend - rp), fmt, ap);
	va_end(ap);
	if (n > 0)
		rp += n < rend - rp ? n : rend - rp - 1;
}

/* Records of one batch go one per line into the shared page. */
static void rec_reset(void)
{
	rp = arena->rec;
	rend = arena->rec + REC_MAX - 64;
}

static void rec_begin(const struct cmd *c)
{
	if (rp > arena->rec)
		rec_add("\n");
	rec_add("{\"trace\":\"%s\",\"i\":%d,\"task\":\"%s\",\"c\":\"%s\"", cur->name, c->i, c->task, VERBS[c->verb]);
}


/* ---------------------------------------------------------------- commands */

static void do_ring(const struct cmd *c)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = (uint32_t)c->n[1];
	long fd = sys_setup((unsigned)c->n[0], &p);
	rec_add(",\"ret\":%ld", fd < 0 ? fd : 0L);
	bind_name(c->ring, fd < 0 ? BAD_FD : (int)fd);
	if (fd < 0 || nrings == MAX_RINGS)
		return;
	struct ring *r = &rings[nrings++];
	memset(r, 0, sizeof(*r));
	r->fd = (int)fd;
	r->flags = p.flags;
	r->sq_entries = p.sq_entries;
	r->cq_entries = p.cq_entries;
	r->sqe_size = (p.flags & IORING_SETUP_SQE128) ? 128 : 64;
	r->cqe_size = (p.flags & IORING_SETUP_CQE32) ? 32 : 16;
	size_t sq_sz = p.sq_off.array + (size_t)p.sq_entries * 4;
	size_t cq_sz = p.cq_off.cqes + (size_t)p.cq_entries * r->cqe_size;
	size_t sz = sq_sz > cq_sz ? sq_sz : cq_sz; /* IORING_FEAT_SINGLE_MMAP: one mapping for both */
	void *ring = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, (int)fd, IORING_OFF_SQ_RING);
	void *sqes = mmap(NULL, (size_t)p.sq_entries * r->sqe_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			  (int)fd, IORING_OFF_SQES);
	if (ring == MAP_FAILED || sqes == MAP_FAILED || arena->nslots == MAX_RINGS)
		return; /* set up, but not mapped: SQE commands on it answer -EBADF */
	r->sq_ring = r->cq_ring = ring;
	r->sqes = sqes;
	r->ring_sz = sz;
	r->sqes_sz = (size_t)p.sq_entries * r->sqe_size;
	r->sq_khead = (uint32_t *)(r->sq_ring + p.sq_off.head);
	r->sq_ktail = (uint32_t *)(r->sq_ring + p.sq_off.tail);
	r->sq_mask = (uint32_t *)(r->sq_ring + p.sq_off.ring_mask);
	r->sq_array = (p.flags & IORING_SETUP_NO_SQARRAY) ? NULL : (uint32_t *)(r->sq_ring + p.sq_off.array);
	r->cq_khead = (uint32_t *)(r->cq_ring + p.cq_off.head);
	r->cq_ktail = (uint32_t *)(r->cq_ring + p.cq_off.tail);
	r->cq_mask = (uint32_t *)(r->cq_ring + p.cq_off.ring_mask);
	r->cqes = r->cq_ring + p.cq_off.cqes;
	r->slot = arena->nslots++;
	memset(&arena->slots[r->slot], 0, sizeof(arena->slots[0]));
	r->live = 1;
}

static void do_close(const struct cmd *c)
{
	int fd = ring_fd(c->ring);
	long ret = close(fd) < 0 ? -errno : 0;
	if (ret == 0) {
		/* Unmap too, as a program tearing its ring down would. */
		for (int k = 0; k < nrings; k++)
			if (rings[k].live && rings[k].fd == fd) {
				munmap(rings[k].sq_ring, rings[k].ring_sz);
				munmap(rings[k].sqes, rings[k].sqes_sz);
				rings[k].live = 0;
			}
	}
	rec_add(",\"ret\":%ld", ret);
}

static void do_register(const struct cmd *c)
{
	int fd = ring_fd(c->ring);
	unsigned op = (unsigned)c->n[0];
	long ret;
	/* A valid argument for the register ops that take a simple one. */
	if (op == IORING_REGISTER_PROBE) {
		static uint8_t probe[sizeof(struct io_uring_probe) + 256 * sizeof(struct io_uring_probe_op)];
		memset(probe, 0, sizeof(probe));
		ret = sys_register(fd, op, probe, 256);
	} else if (op == IORING_REGISTER_FILES) {
		int32_t fds[1] = { -1 };
		ret = sys_register(fd, op, fds, 1);
	} else if (op == IORING_REGISTER_IOWQ_MAX_WORKERS) {
		uint32_t v[2] = { 0, 0 };
		ret = sys_register(fd, op, v, 2);
	} else {
		ret = sys_register(fd, op, NULL, 0);
	}
	rec_add(",\"ret\":%ld", ret);
}

static void do_restrict(const struct cmd *c)
{
	long ret;
	if (c->ring) {
		ret = sys_register(ring_fd(c->ring), IORING_REGISTER_RESTRICTIONS, c->res, (unsigned)c->nres);
	} else {
		size_t sz = sizeof(struct io_uring_task_restriction) + (size_t)c->nres * sizeof(struct io_uring_restriction);
		struct io_uring_task_restriction *tr = calloc(1, sz);
		tr->nr_res = (uint16_t)c->nres;
		memcpy(tr->restrictions, c->res, (size_t)c->nres * sizeof(struct io_uring_restriction));
		ret = sys_register(-1, IORING_REGISTER_RESTRICTIONS, tr, 1);
		free(tr);
	}
	rec_add(",\"ret\":%ld", ret);
}

/* Whether the kernel wrote to the page at `p` since clear_soft_dirty(), or -1 if unknown. */
static int clear_soft_dirty(void)
{
	int fd = openat(PROC_FD, "self/clear_refs", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int ok = write(fd, "4", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

static int soft_dirty(const void *p)
{
	int fd = openat(PROC_FD, "self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	uint64_t e;
	long psz = sysconf(_SC_PAGESIZE);
	ssize_t n = pread(fd, &e, 8, (off_t)((uintptr_t)p / (uintptr_t)psz) * 8);
	close(fd);
	if (n != 8)
		return -1;
	return (int)((e >> 55) & 1);
}

static void do_bpf(const struct cmd *c)
{
	static struct io_uring_bpf *b;
	if (!b) {
		/* A page of its own, so its soft-dirty bit tells whether the kernel wrote to it. */
		b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	}
	memset(b, 0, sizeof(*b));
	b->cmd_type = (uint16_t)c->n[3];
	b->cmd_flags = (uint16_t)c->n[4];
	b->resv = (uint32_t)c->n[5];
	b->filter.opcode = (uint32_t)c->n[0];
	b->filter.flags = (uint32_t)c->n[1];
	b->filter.filter_len = c->n[6] >= 0 ? (uint32_t)c->n[6] : (uint32_t)c->ninsn;
	b->filter.pdu_size = (uint8_t)c->n[2];
	b->filter.resv[0] = (uint8_t)c->n[9];
	b->filter.resv[1] = (uint8_t)(c->n[9] >> 8);
	b->filter.resv[2] = (uint8_t)(c->n[9] >> 16);
	b->filter.filter_ptr = c->n[8] ? 0 : (uint64_t)(uintptr_t)c->insns;
	b->filter.resv2[0] = c->u[0];
	int fd = c->ring ? ring_fd(c->ring) : -1;
	int tracked = clear_soft_dirty() == 0;
	long ret = sys_register(fd, IORING_REGISTER_BPF_FILTER, b, (unsigned)c->n[7]);
	int wrote = tracked ? soft_dirty(b) : -1;
	if (wrote < 0) /* no soft-dirty bits: the cases where the write-back surely happened */
		wrote = b->filter.pdu_size != (uint8_t)c->n[2] || ret == 0 || ret == -EMSGSIZE;
	rec_add(",\"ret\":%ld", ret);
	if (wrote)
		rec_add(",\"pdu\":%u", b->filter.pdu_size);
}

static void do_sqe(const struct cmd *c)
{
	struct ring *r = find_ring(c->ring);
	long queued;
	if (!r) {
		queued = -EBADF;
	} else {
		uint32_t head = __atomic_load_n(r->sq_khead, __ATOMIC_ACQUIRE);
		uint32_t tail = *r->sq_ktail;
		if (tail - head >= r->sq_entries) {
			queued = -EBUSY;
		} else {
			uint32_t idx = tail & *r->sq_mask;
			struct io_uring_sqe *s = (struct io_uring_sqe *)(r->sqes + (size_t)idx * r->sqe_size);
			memset(s, 0, r->sqe_size);
			s->opcode = (uint8_t)c->n[0];
			s->flags = (uint8_t)c->n[1];
			s->ioprio = (uint16_t)c->n[2];
			s->fd = (int32_t)c->n[3];
			s->off = c->u[1];
			s->addr = c->u[2];
			s->len = (uint32_t)c->n[4];
			s->op_flags = (uint32_t)c->n[5];
			s->user_data = c->u[0];
			s->buf_index = (uint16_t)c->n[6];
			s->personality = (uint16_t)c->n[7];
			s->file_index = (int32_t)c->n[8];
			s->addr3 = c->u[3];
			/* The trace's pointers, made real: this process's copies of the data. */
			if (c->path)
				s->addr = (uint64_t)(uintptr_t)c->path;
			if (c->sa)
				s->addr = (uint64_t)(uintptr_t)c->sa;
			if (c->has_how)
				s->off = (uint64_t)(uintptr_t)&c->how;
			if (r->sq_array)
				r->sq_array[idx] = idx;
			__atomic_store_n(r->sq_ktail, tail + 1, __ATOMIC_RELEASE);
			queued = (long)(tail + 1 - head);
		}
	}
	rec_add(",\"queued\":%ld", queued);
	int op = (int)c->n[0];
	if (op >= 0 && op < NOPNAMES)
		rec_add(",\"op\":\"%s\"", OPNAMES[op]);
	else
		rec_add(",\"op\":\"%d\"", op);
	rec_add(",\"ud\":\"%llu\"", (unsigned long long)c->u[0]);
}

static void do_submit(const struct cmd *c)
{
	struct ring *r = find_ring(c->ring);
	if (!r) {
		long ret = sys_enter(ring_fd(c->ring), 0, 0, 0, NULL, 0);
		rec_add(",\"ret\":%ld,\"left\":0", ret);
		return;
	}
	uint32_t head0 = __atomic_load_n(r->sq_khead, __ATOMIC_ACQUIRE);
	uint32_t tail = *r->sq_ktail;
	long ret = sys_enter(r->fd, tail - head0, 0, 0, NULL, 0);
	uint32_t head1 = __atomic_load_n(r->sq_khead, __ATOMIC_ACQUIRE);
	/* Count what the kernel consumed, and how much of it may complete silently. */
	struct ring_counts *rc = &arena->slots[r->slot];
	int in_chain = 0, head_skips = 0, chain_async = 0;
	for (uint32_t k = head0; k != head1; k++) {
		uint32_t idx = r->sq_array ? r->sq_array[k & *r->sq_mask] : (k & *r->sq_mask);
		const struct io_uring_sqe *s = (const struct io_uring_sqe *)(r->sqes + (size_t)(idx & *r->sq_mask) * r->sqe_size);
		if (!in_chain) {
			head_skips = s->flags & IOSQE_CQE_SKIP_SUCCESS;
			chain_async = 0;
		}
		/* NOP and SOCKET complete inline unless forced to io-wq; anything else may not,
		 * and a chain member runs wherever the member before it completed. */
		chain_async |= (s->flags & IOSQE_ASYNC) || (s->opcode != 0 && s->opcode != 45);
		if (head_skips || (s->flags & IOSQE_CQE_SKIP_SUCCESS)) {
			rc->skippable++;
			/* Only io-wq can finish a request after io_uring_enter returned. An inline
			 * chain's later members run from task work, which the kernel runs before the
			 * submitting task returns to user space, so their CQEs (if any) are already
			 * there: on 7.3.4 no quiet period after such a chain ever saw one more CQE.
			 * A CQE that still came late would show as a difference, never be hidden. */
			if (chain_async)
				rc->late++;
		}
		rc->submitted++;
		in_chain = (s->flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK)) != 0;
	}
	rec_add(",\"ret\":%ld,\"left\":%u", ret, tail - head1);
}

static int reap(struct ring *r, int first)
{
	int got = 0;
	for (;;) {
		uint32_t head = *r->cq_khead;
		uint32_t tail = __atomic_load_n(r->cq_ktail, __ATOMIC_ACQUIRE);
		if (head == tail)
			break;
		for (; head != tail; head++) {
			const struct io_uring_cqe *q = (const struct io_uring_cqe *)(r->cqes + (size_t)(head & *r->cq_mask) * r->cqe_size);
			rec_add("%s[\"%llu\",%d,%u]", first && !got ? "" : ",", (unsigned long long)q->user_data, q->res, q->flags);
			got++;
		}
		__atomic_store_n(r->cq_khead, head, __ATOMIC_RELEASE);
	}
	arena->slots[r->slot].seen += (uint64_t)got;
	return got;
}

/* Wait up to `ms` for at least one CQE; returns once one may be there. */
static void wait_cqe(struct ring *r, int ms)
{
	struct kernel_timespec ts = { ms / 1000, (int64_t)(ms % 1000) * 1000000 };
	struct io_uring_getevents_arg arg = { 0, 0, 0, (uint64_t)(uintptr_t)&ts };
	long e = sys_enter(r->fd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof(arg));
	if (e < 0 && e != -ETIME && e != -EINTR) {
		/* Disabled ring, or another task's DEFER_TASKRUN ring: poll the CQ ourselves. */
		struct timespec t = { 0, 1000000 };
		nanosleep(&t, NULL);
	}
}

static void do_cqes(const struct cmd *c)
{
	struct ring *r = find_ring(c->ring);
	if (!r) {
		rec_add(",\"ret\":%d", -EBADF);
		return;
	}
	struct ring_counts *rc = &arena->slots[r->slot];
	rec_add(",\"cqes\":[");
	int first = 1;
	/* Run pending task work, then take what is there. */
	sys_enter(r->fd, 0, 0, IORING_ENTER_GETEVENTS, NULL, 0);
	if (reap(r, first))
		first = 0;
	/* Requests punted to io-wq complete later: wait for every CQE that must come... */
	uint64_t t0 = now_us();
	while (rc->seen < rc->submitted - rc->skippable && now_us() - t0 < 1000000) {
		wait_cqe(r, 50);
		if (reap(r, first))
			first = 0;
	}
	/* ...and give the ones that may be skipped, but may also complete late, a quiet period. */
	if (rc->seen < rc->submitted && rc->late) {
		for (;;) {
			wait_cqe(r, 20);
			if (reap(r, first))
				first = 0;
			else
				break;
		}
	}
	if (rc->seen < rc->submitted && rc->seen >= rc->submitted - rc->skippable)
		rc->submitted = rc->seen, rc->skippable = rc->late = 0; /* the rest were skipped */
	rec_add("]");
}

/* ---------------------------------------------------------------- a task process */

static void send_reply(int passfd)
{
	int32_t st = 0;
	struct iovec iov = { &st, sizeof(st) };
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr mh = { 0 };
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (passfd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &passfd, sizeof(int));
	}
	while (sendmsg(CHAN_FD, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

/*
 * A task runs batches: the coordinator sends (first index, count) for a run of
 * consecutive commands of this task, which ends at a fork or an exit; the records go
 * into the shared page and one reply says they are there.
 */
static void task_loop(void)
{
	for (;;) {
		uint32_t msg[2];
		ssize_t n = recv(CHAN_FD, msg, sizeof(msg), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(msg) || msg[0] >= (uint32_t)cur->ncmd || msg[1] > (uint32_t)cur->ncmd - msg[0])
			_exit(0);
		rec_reset();
		int passfd = -1, forked_child = 0;
		for (uint32_t idx = msg[0]; idx < msg[0] + msg[1] && !forked_child; idx++) {
			const struct cmd *c = &cur->cmds[idx];
			rec_begin(c);
			switch (c->verb) {
			case V_RING: do_ring(c); break;
			case V_CLOSE: do_close(c); break;
			case V_ENABLE: rec_add(",\"ret\":%ld", sys_register(ring_fd(c->ring), IORING_REGISTER_ENABLE_RINGS, NULL, 0)); break;
			case V_REGISTER: do_register(c); break;
			case V_RESTRICT: do_restrict(c); break;
			case V_BPF: do_bpf(c); break;
			case V_SQE: do_sqe(c); break;
			case V_SUBMIT: do_submit(c); break;
			case V_CQES: do_cqes(c); break;
			case V_NNP: rec_add(",\"ret\":%d", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0); break;
			case V_SETUID: {
				uid_t u = (uid_t)c->n[0];
				long r = syscall(SYS_setresuid, u, u, u);
				r = r < 0 ? -errno : 0;
				/* Stay dumpable so this process can still read its own /proc pagemap. */
				prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
				rec_add(",\"ret\":%ld", r);
				break;
			}
			case V_FORK: {
				int sv[2];
				if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0) {
					rec_add(",\"ret\":%d", -errno);
					break;
				}
				pid_t pid = fork();
				if (pid == 0) {
					/* The child: its own channel; the parent replies for the fork. */
					dup2(sv[1], CHAN_FD);
					close(sv[0]);
					close(sv[1]);
					my_task = c->child;
					forked_child = 1;
					break;
				}
				close(sv[1]);
				if (pid < 0) {
					rec_add(",\"ret\":%d", -errno);
					close(sv[0]);
				} else {
					rec_add(",\"ret\":0");
					passfd = sv[0];
				}
				break;
			}
			case V_EXIT:
				rec_add(",\"ret\":0}");
				arena->reclen = (uint32_t)(rp - arena->rec);
				send_reply(-1);
				_exit(0);
			}
			if (!forked_child)
				rec_add("}");
		}
		if (forked_child)
			continue;
		arena->reclen = (uint32_t)(rp - arena->rec);
		send_reply(passfd);
		if (passfd >= 0)
			close(passfd);
	}
}

/* ---------------------------------------------------------------- the coordinator */

struct chan {
	const char *task;
	int fd;
};

static int ok_traces, failed_traces;

/* Wait for one reply on `fd`; returns 0, or -1 on EOF, -2 on timeout. Passes a received fd out. */
static int recv_reply(int fd, int ms, int *passfd)
{
	struct pollfd pf = { fd, POLLIN, 0 };
	int pr;
	do
		pr = poll(&pf, 1, ms);
	while (pr < 0 && errno == EINTR);
	if (pr == 0)
		return -2;
	int32_t st;
	struct iovec iov = { &st, sizeof(st) };
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr mh = { 0 };
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	ssize_t n;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(st))
		return -1;
	*passfd = -1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(passfd, CMSG_DATA(cm), sizeof(int));
	return 0;
}

static void wait_eof(int fd, int ms)
{
	struct pollfd pf = { fd, POLLIN, 0 };
	char b[8];
	uint64_t t0 = now_us();
	while ((int)((now_us() - t0) / 1000) < ms) {
		if (poll(&pf, 1, ms) <= 0)
			return;
		if (recv(fd, b, sizeof(b), MSG_DONTWAIT) <= 0)
			return;
	}
}

static void run_trace(const struct trace *t)
{
	cur = t;
	arena->nslots = 0;
	char status[256] = "ok";
	uint64_t t0 = now_us();
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0) {
		snprintf(status, sizeof(status), "socketpair: %s", strerror(errno));
		goto done;
	}
	pid_t init = fork();
	if (init < 0) {
		snprintf(status, sizeof(status), "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		goto done;
	}
	if (init == 0) {
		setpgid(0, 0);
		signal(SIGPIPE, SIG_IGN);
		dup2(sv[1], CHAN_FD);
		close(sv[0]);
		close(sv[1]);
		if (out_fd > 2)
			close(out_fd);
		if (fileno(wire_in) > 2)
			close(fileno(wire_in));
		nrings = 0;
		nnames = 0;
		my_task = "init";
		task_loop();
		_exit(0);
	}
	setpgid(init, init);
	close(sv[1]);
	struct chan *ch = calloc((size_t)t->ncmd + 2, sizeof(*ch));
	int nch = 1;
	ch[0] = (struct chan){ "init", sv[0] };
	for (int k = 0; k < t->ncmd;) {
		const struct cmd *c = &t->cmds[k];
		struct chan *who = NULL;
		for (int j = nch - 1; j >= 0; j--)
			if (ch[j].fd >= 0 && !strcmp(ch[j].task, c->task)) {
				who = &ch[j];
				break;
			}
		if (!who) {
			snprintf(status, sizeof(status), "no live task %s at %d", c->task, c->i);
			break;
		}
		/* The run of this task's commands, up to and including a fork or an exit. */
		int end = k;
		while (end < t->ncmd && !strcmp(t->cmds[end].task, c->task)) {
			enum verb v = t->cmds[end++].verb;
			if (v == V_FORK || v == V_EXIT)
				break;
		}
		const struct cmd *last = &t->cmds[end - 1];
		uint32_t msg[2] = { (uint32_t)k, (uint32_t)(end - k) };
		if (send(who->fd, msg, sizeof(msg), MSG_NOSIGNAL) != (ssize_t)sizeof(msg)) {
			snprintf(status, sizeof(status), "task %s died at %d", c->task, c->i);
			break;
		}
		int left = trace_ms - (int)((now_us() - t0) / 1000);
		int budget = cmd_ms * (end - k);
		int passfd = -1;
		int r = recv_reply(who->fd, left < budget ? (left > 0 ? left : 0) : budget, &passfd);
		if (r == -2) {
			snprintf(status, sizeof(status), "timeout at %d", c->i);
			break;
		}
		if (r == -1) {
			snprintf(status, sizeof(status), "task %s died at %d", c->task, c->i);
			break;
		}
		for (char *line = arena->rec, *stop = arena->rec + arena->reclen; line < stop;) {
			char *nl = memchr(line, '\n', (size_t)(stop - line));
			size_t len = nl ? (size_t)(nl - line) : (size_t)(stop - line);
			out_raw(PREFIX, strlen(PREFIX));
			out_raw(line, len);
			out_raw("\n", 1);
			line += len + 1;
		}
		if (last->verb == V_FORK && passfd >= 0)
			ch[nch++] = (struct chan){ last->child, passfd };
		if (last->verb == V_EXIT) {
			/* Let the process finish exiting (its files closed) before the next command. */
			wait_eof(who->fd, cmd_ms);
			close(who->fd);
			who->fd = -1;
		}
		k = end;
	}
	for (int j = 0; j < nch; j++)
		if (ch[j].fd >= 0)
			close(ch[j].fd);
	free(ch);
	kill(-init, SIGKILL);
	/* We are the subreaper: every task of the trace ends up here. */
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
done:
	if (!strcmp(status, "ok"))
		ok_traces++;
	else
		failed_traces++;
	out_line("{\"end\":\"%s\",\"status\":\"%s\",\"us\":%llu}", t->name, status, (unsigned long long)(now_us() - t0));
	/* A console write waits for qemu to take the buffer: flush a few times a second, not per trace. */
	static uint64_t last_flush;
	if (outlen > sizeof(outbuf) / 2 || now_us() - last_flush > 250000) {
		out_flush();
		last_flush = now_us();
	}
}

/* 0 if this kernel takes a ring-level cBPF filter, else -errno. */
static long bpf_filter_probe(void)
{
	pid_t p = fork();
	if (p == 0) {
		struct io_uring_params prm;
		memset(&prm, 0, sizeof(prm));
		long fd = sys_setup(4, &prm);
		if (fd < 0)
			_exit(100);
		struct sock_filter_insn ret1 = { 0x06, 0, 0, 1 };
		struct io_uring_bpf b;
		memset(&b, 0, sizeof(b));
		b.cmd_type = 1;
		b.filter.filter_len = 1;
		b.filter.filter_ptr = (uint64_t)(uintptr_t)&ret1;
		long r = sys_register((int)fd, IORING_REGISTER_BPF_FILTER, &b, 1);
		_exit(r == 0 ? 0 : (int)(-r > 0 && -r < 100 ? -r : 100));
	}
	int st = 0;
	if (p < 0 || waitpid(p, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return -(long)WEXITSTATUS(st);
}

/*
 * Turn the program's own file-backed private mappings (text, read-only data) into present,
 * anonymous copies. fork copies the page table entries of anonymous mappings but not of
 * file-backed ones, so without this every new task faults the code it runs back in, page
 * by page, which under TCG is about a third of an empty trace's cost. The kernel's view of
 * the traces is unchanged: this is the guest program's own memory.
 */
static void own_image(void)
{
	static char maps[16384];
	int fd = openat(PROC_FD, "self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, maps, sizeof(maps) - 1);
	close(fd);
	if (n <= 0)
		return;
	maps[n] = 0;
	for (char *line = maps, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		unsigned long lo, hi;
		char perms[8], path[256] = "";
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &lo, &hi, perms, path) < 3 || perms[3] != 'p' || path[0] != '/')
			continue;
		int prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) | (perms[2] == 'x' ? PROT_EXEC : 0);
		if (mprotect((void *)lo, hi - lo, prot | PROT_READ | PROT_WRITE))
			continue;
		for (unsigned long a = lo; a < hi; a += 4096) {
			volatile char *c = (volatile char *)a;
			*c = *c;
		}
		mprotect((void *)lo, hi - lo, prot);
	}
}

static int runner(int pid1, uint64_t t0)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	own_image();
	arena = mmap(NULL, sizeof(*arena), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED) {
		out_line("{\"fatal\":\"mmap: %s\"}", strerror(errno));
		out_flush();
		return 1;
	}
	struct utsname u;
	uname(&u);
	out_line("{\"hello\":\"ringfence-guest\",\"wire\":1,\"release\":\"%s\",\"pid1\":%s,\"bpf_filter_probe\":%ld}",
		 u.release, pid1 ? "true" : "false", bpf_filter_probe());
	out_flush();
	struct trace t;
	int r;
	if (read_header() == 0)
		while ((r = read_trace(&t)) > 0) {
			ntraces++;
			run_trace(&t);
		}
	else
		r = -1;
	if (r < 0) {
		out_line("{\"fatal\":\"%s\"}", wire_err);
		out_flush();
		return 2;
	}
	out_line("{\"summary\":{\"traces\":%d,\"ok\":%d,\"failed\":%d,\"us\":%llu}}", ntraces, ok_traces, failed_traces,
		 (unsigned long long)(now_us() - t0));
	out_flush();
	return 0;
}

/* ---------------------------------------------------------------- input and main */

static void make_raw(int fd)
{
	struct termios tio;
	if (tcgetattr(fd, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(fd, TCSANOW, &tio);
	}
}

/* The results channel in the guest: the virtio console, else the console. */
static int open_result_channel(void)
{
	for (int tries = 0; tries < 200; tries++) {
		/* A device node for hvc0 that exists only while we open it: the trace world has no /dev/hvc0. */
		unlink("/.hvc0");
		if (mknod("/.hvc0", S_IFCHR | 0600, makedev(229, 0)) == 0) {
			int fd = open("/.hvc0", O_WRONLY | O_NOCTTY | O_CLOEXEC);
			unlink("/.hvc0");
			if (fd >= 0)
				return fd;
		}
		struct timespec t = { 0, 10000000 };
		nanosleep(&t, NULL);
	}
	return open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
}

static void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	uint64_t t0 = now_us();
	int pid1 = getpid() == 1;
	umask(022);
	signal(SIGPIPE, SIG_IGN);
	int in;
	if (pid1) {
		out_fd = open_result_channel();
		if (out_fd < 0)
			out_fd = 1;
		make_raw(out_fd);
		/* procfs for our own soft-dirty bookkeeping only: keep a directory fd, then detach the mount. */
		if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0) {
			int pfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (pfd >= 0 && pfd != PROC_FD) {
				dup2(pfd, PROC_FD);
				close(pfd);
			}
			umount2("/proc", MNT_DETACH);
		}
		/* Open, then unlink: the traces never see /traces.wire. */
		in = open("/traces.wire", O_RDONLY | O_CLOEXEC);
		unlink("/traces.wire");
		if (in < 0)
			in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	} else {
		in = argc > 1 && strcmp(argv[1], "-") ? open(argv[1], O_RDONLY | O_CLOEXEC) : 0;
		if (in < 0) {
			fprintf(stderr, "guest: cannot open %s: %s\n", argv[1], strerror(errno));
			return 2;
		}
		int pfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd >= 0 && pfd != PROC_FD) {
			dup2(pfd, PROC_FD);
			close(pfd);
		}
	}
	wire_in = fdopen(in, "r");
	if (!pid1)
		return runner(0, t0);
	/* PID 1 never runs traces itself: if the runner dies, we still report and power off. */
	pid_t r = fork();
	if (r == 0)
		_exit(runner(1, t0));
	int st = 0;
	for (;;) {
		pid_t w = waitpid(-1, &st, 0);
		if (w == r || (w < 0 && errno == ECHILD))
			break;
	}
	if (r < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		out_line("{\"fatal\":\"runner ended: %s %d\"}", WIFSIGNALED(st) ? "signal" : "status",
			 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		out_flush();
	}
	power_off();
	return 0;
}
