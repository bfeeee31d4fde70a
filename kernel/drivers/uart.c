/*
 * 8250/16550 UART driver for COM1 (I/O port 0x3f8, ISA IRQ 4).
 * Register map: the PC16550D data sheet; the same as Linux's
 * include/uapi/linux/serial_reg.h.
 */
#include "drivers/uart.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "core/kernel.h"

#define COM1	 0x3f8
#define COM1_IRQ 4
#define UART_RX	 0 /* receive buffer (DLAB 0) */
#define UART_TX	 0 /* transmit holding (DLAB 0) */
#define UART_DLL 0 /* divisor latch low (DLAB 1) */
#define UART_IER 1 /* interrupt enable (DLAB 0) */
#define UART_DLM 1 /* divisor latch high (DLAB 1) */
#define UART_FCR 2 /* FIFO control (write) */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */

#define IER_RDI	   0x01 /* interrupt when data is received */
#define FCR_ENABLE 0x01 /* FIFOs on */
#define FCR_TRIGGER_14                                                                             \
	0xc0 /* receive interrupt at 14 bytes, or on the
			       character timeout when fewer wait */
#define FCR_CLEAR	 0x06
#define LCR_8N1		 0x03
#define LCR_DLAB	 0x80
#define MCR_DTR_RTS_OUT2 0x0b /* OUT2 gates the IRQ line on PCs */
#define LSR_DR		 0x01 /* data ready */
#define LSR_THRE	 0x20 /* transmit holding register empty */
#define LSR_TEMT 0x40 /* transmitter empty: every byte has left */
#define FLUSH_SPINS 200000000 /* bound on waiting for a host that stopped reading */
#define BAUD_DIVISOR	 1    /* 115200 baud */

static void (*uart_rx_fn)(uint8_t byte);
static int uart_throttled;

void uart_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, BAUD_DIVISOR & 0xff);
	outb(COM1 + UART_DLM, BAUD_DIVISOR >> 8);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, FCR_ENABLE | FCR_CLEAR | FCR_TRIGGER_14);
	outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
}

void uart_write(const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n--) {
		while (!(inb(COM1 + UART_LSR) & LSR_THRE))
			cpu_pause();
		outb(COM1 + UART_TX, *p++);
	}
}

void uart_flush(void)
{
	for (long i = 0; i < FLUSH_SPINS && !(inb(COM1 + UART_LSR) & LSR_TEMT); i++)
		cpu_pause();
}

static void uart_drain(void)
{
	while (!uart_throttled && (inb(COM1 + UART_LSR) & LSR_DR)) {
		uint8_t b = inb(COM1 + UART_RX);
		if (uart_rx_fn)
			uart_rx_fn(b);
	}
}

static void uart_irq(struct regs *r __unused)
{
	uart_drain();
	lapic_eoi();
}

void uart_enable_rx(void (*rx)(uint8_t byte))
{
	uart_rx_fn = rx;
	ioapic_route(COM1_IRQ, VEC_UART, uart_irq);
	outb(COM1 + UART_IER, IER_RDI);
}

void uart_rx_throttle(int on)
{
	uart_throttled = on;
	outb(COM1 + UART_IER, on ? 0 : IER_RDI);
	if (!on)
		uart_drain(); /* bytes that arrived while throttled */
}
