/*
 * The 8250/16550 UART on COM1: the kernel's only console, and under
 * `monos run` the host channel's wire (core/console.c frames it).
 */
#ifndef DRIVERS_UART_H
#define DRIVERS_UART_H

#include <stddef.h>
#include <stdint.h>

/* Program COM1 (115200 8N1, FIFOs on); receive interrupts stay off until
 * uart_enable_rx().  Called once, first thing at boot. */
void uart_init(void);

/* Send `n` bytes, waiting for room in the transmitter.  Callers serialise
 * (console.c holds its lock), so frames are never interleaved. */
void uart_write(const void *buf, size_t n);

/* Wait until every byte written has left the UART (the host has it), so a
 * machine stopped right after loses none of it.  Bounded: a host that no
 * longer reads cannot hold the kernel forever. */
void uart_flush(void);

/*
 * Receive: `rx` is called from the UART interrupt with each byte received,
 * interrupts off.  uart_enable_rx() routes IRQ 4 through the IOAPIC and turns
 * on the receive interrupt.
 */
void uart_enable_rx(void (*rx)(uint8_t byte));

/* Stop (0) or restart (1) taking bytes from the UART: while stopped, bytes
 * wait in the host (QEMU stops reading its chardev), so nothing is lost. */
void uart_rx_throttle(int on);

#endif
