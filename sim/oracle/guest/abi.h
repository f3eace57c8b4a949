/*
 * The io_uring ABI the oracle's guest program needs, written out here so that it
 * builds with any libc and old kernel headers (Debian 12's uapi headers predate the
 * cBPF filters). Sizes and offsets are pinned with _Static_assert against the kernel's
 * uapi layout (include/uapi/linux/io_uring.h, include/uapi/linux/io_uring/bpf_filter.h).
 */
#ifndef RINGFENCE_GUEST_ABI_H
#define RINGFENCE_GUEST_ABI_H

#include <stddef.h>
#include <stdint.h>

#define NR_io_uring_setup 425
#define NR_io_uring_enter 426
#define NR_io_uring_register 427

/* io_uring_setup flags the guest must understand to map the rings. */
#define IORING_SETUP_SQE128 (1u << 10)
#define IORING_SETUP_CQE32 (1u << 11)
#define IORING_SETUP_NO_SQARRAY (1u << 16)

/* io_uring_enter flags. */
#define IORING_ENTER_GETEVENTS (1u << 0)
#define IORING_ENTER_EXT_ARG (1u << 3)

/* mmap offsets. */
#define IORING_OFF_SQ_RING 0ULL
#define IORING_OFF_CQ_RING 0x8000000ULL
#define IORING_OFF_SQES 0x10000000ULL

/* SQE flags the guest looks at when counting completions. */
#define IOSQE_IO_LINK (1u << 2)
#define IOSQE_IO_HARDLINK (1u << 3)
#define IOSQE_ASYNC (1u << 4)
#define IOSQE_CQE_SKIP_SUCCESS (1u << 6)

/* Register opcodes. */
#define IORING_REGISTER_FILES 2
#define IORING_UNREGISTER_FILES 3
#define IORING_REGISTER_PROBE 8
#define IORING_REGISTER_PERSONALITY 9
#define IORING_REGISTER_RESTRICTIONS 11
#define IORING_REGISTER_ENABLE_RINGS 12
#define IORING_REGISTER_IOWQ_MAX_WORKERS 19
#define IORING_REGISTER_BPF_FILTER 37

struct io_sqring_offsets {
	uint32_t head, tail, ring_mask, ring_entries, flags, dropped, array, resv1;
	uint64_t user_addr;
};

struct io_cqring_offsets {
	uint32_t head, tail, ring_mask, ring_entries, overflow, cqes, flags, resv1;
	uint64_t user_addr;
};

struct io_uring_params {
	uint32_t sq_entries, cq_entries, flags, sq_thread_cpu, sq_thread_idle, features, wq_fd;
	uint32_t resv[3];
	struct io_sqring_offsets sq_off;
	struct io_cqring_offsets cq_off;
};

struct io_uring_sqe {
	uint8_t opcode;
	uint8_t flags;
	uint16_t ioprio;
	int32_t fd;
	uint64_t off; /* or addr2 */
	uint64_t addr;
	uint32_t len;
	uint32_t op_flags; /* rw_flags, open_flags, msg_flags, ... */
	uint64_t user_data;
	uint16_t buf_index;
	uint16_t personality;
	int32_t file_index; /* or splice_fd_in */
	uint64_t addr3;
	uint64_t pad2;
};

struct io_uring_cqe {
	uint64_t user_data;
	int32_t res;
	uint32_t flags;
};

struct io_uring_getevents_arg {
	uint64_t sigmask;
	uint32_t sigmask_sz;
	uint32_t min_wait_usec;
	uint64_t ts;
};

struct kernel_timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

struct io_uring_restriction {
	uint16_t opcode;
	uint8_t value; /* register_op, sqe_op or sqe_flags */
	uint8_t resv;
	uint32_t resv2[3];
};

/* fd -1 IORING_REGISTER_RESTRICTIONS (7.0+): a header, then the entries. */
struct io_uring_task_restriction {
	uint16_t flags;
	uint16_t nr_res;
	uint32_t resv[3];
	struct io_uring_restriction restrictions[];
};

struct sock_filter_insn {
	uint16_t code;
	uint8_t jt;
	uint8_t jf;
	uint32_t k;
};

/* struct io_uring_bpf_filter as of 7.0-final: pdu_size at offset 12. */
struct io_uring_bpf_filter {
	uint32_t opcode;
	uint32_t flags;
	uint32_t filter_len;
	uint8_t pdu_size;
	uint8_t resv[3];
	uint64_t filter_ptr;
	uint64_t resv2[5];
};

struct io_uring_bpf {
	uint16_t cmd_type;
	uint16_t cmd_flags;
	uint32_t resv;
	union {
		struct io_uring_bpf_filter filter;
	};
};

struct io_uring_probe_op {
	uint8_t op, resv;
	uint16_t flags;
	uint32_t resv2;
};

struct io_uring_probe {
	uint8_t last_op, ops_len;
	uint16_t resv;
	uint32_t resv2[3];
	struct io_uring_probe_op ops[];
};

struct open_how {
	uint64_t flags, mode, resolve;
};

_Static_assert(sizeof(struct io_sqring_offsets) == 40, "io_sqring_offsets");
_Static_assert(sizeof(struct io_cqring_offsets) == 40, "io_cqring_offsets");
_Static_assert(sizeof(struct io_uring_params) == 120, "io_uring_params");
_Static_assert(offsetof(struct io_uring_params, sq_off) == 40, "io_uring_params.sq_off");
_Static_assert(sizeof(struct io_uring_sqe) == 64, "io_uring_sqe");
_Static_assert(offsetof(struct io_uring_sqe, user_data) == 32, "sqe.user_data");
_Static_assert(offsetof(struct io_uring_sqe, buf_index) == 40, "sqe.buf_index");
_Static_assert(offsetof(struct io_uring_sqe, file_index) == 44, "sqe.file_index");
_Static_assert(offsetof(struct io_uring_sqe, addr3) == 48, "sqe.addr3");
_Static_assert(sizeof(struct io_uring_cqe) == 16, "io_uring_cqe");
_Static_assert(sizeof(struct io_uring_getevents_arg) == 24, "io_uring_getevents_arg");
_Static_assert(sizeof(struct io_uring_restriction) == 16, "io_uring_restriction");
_Static_assert(sizeof(struct io_uring_task_restriction) == 16, "io_uring_task_restriction");
_Static_assert(sizeof(struct sock_filter_insn) == 8, "sock_filter");
_Static_assert(sizeof(struct io_uring_bpf_filter) == 64, "io_uring_bpf_filter");
_Static_assert(offsetof(struct io_uring_bpf_filter, pdu_size) == 12, "filter.pdu_size");
_Static_assert(offsetof(struct io_uring_bpf_filter, filter_ptr) == 16, "filter.filter_ptr");
_Static_assert(sizeof(struct io_uring_bpf) == 72, "io_uring_bpf");
_Static_assert(offsetof(struct io_uring_bpf, filter) == 8, "io_uring_bpf.filter");
_Static_assert(sizeof(struct io_uring_probe) == 16, "io_uring_probe");
_Static_assert(sizeof(struct io_uring_probe_op) == 8, "io_uring_probe_op");
_Static_assert(sizeof(struct open_how) == 24, "open_how");

#endif
