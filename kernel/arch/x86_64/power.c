/*
 * Power-off and reset through ACPI's fixed hardware (power.h).  The tables
 * are read once at boot: the RSDP leads to the RSDT or XSDT, that to the
 * FADT (signature "FACP"), which gives the PM1a control block, the reset
 * register and the DSDT.  S5's sleep type is a value of the DSDT's AML
 * object \_S5, found by its name as small kernels do (a Package whose first
 * element is SLP_TYPa) rather than by running AML.
 */
#include "arch/x86_64/power.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/paging.h"
#include <lib/string.h>

/* ACPI 6.4, 5.2.5.3 (RSDP), 5.2.6 (table header), 5.2.9 (FADT). */
#define RSDP_REVISION	   15
#define RSDP_RSDT	   16
#define RSDP_XSDT	   24
#define RSDP_V2_LEN	   36
#define SDT_HEADER_LEN	   36
#define SDT_LENGTH	   4
#define FADT_DSDT	   40
#define FADT_PM1A_CNT	   64
#define FADT_FLAGS	   112
#define FADT_RESET_REG	   116 /* a Generic Address Structure: space id first */
#define FADT_RESET_ADDR	   120
#define FADT_RESET_VALUE   128
#define FADT_RESET_SUP	   (1u << 10)
#define GAS_SPACE_IO	   1
#define PM1_SLP_TYP_SHIFT  10 /* 4.8.3.2.1, PM1 control register */
#define PM1_SLP_EN	   (1u << 13)
#define ACPI_TABLES_MAX	   32 /* entries of the RSDT/XSDT looked at */
#define ACPI_TABLE_MAX_LEN (1u << 20)

/* AML (ACPI 6.4, 20.2): NameOp "_S5_" PackageOp PkgLength NumElements. */
#define AML_NAME_OP	 0x08
#define AML_PACKAGE_OP	 0x12
#define AML_ZERO_OP	 0x00
#define AML_ONE_OP	 0x01
#define AML_BYTE_PREFIX	 0x0a
#define AML_PKGLEN_BYTES 6 /* bits 7:6 of the lead byte: how many follow */

/* Fallbacks when the FADT has no reset register (Intel ICH9 datasheet
 * 13.7.5, reset control register; 8042 command 0xfe, pulse reset). */
#define PCI_RESET_PORT	0xcf9
#define PCI_RESET_HARD	0x06 /* SYS_RST | RST_CPU */
#define KBD_CMD_PORT	0x64
#define KBD_PULSE_RESET 0xfe

static uint16_t pm1a_cnt;
static int s5_slp_typ = -1;
static uint16_t reset_port;
static uint8_t reset_value;

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* A table mapped whole, or NULL when its length is absurd. */
static const uint8_t *map_table(uint64_t pa)
{
	const uint8_t *h = paging_map_mmio(pa, SDT_HEADER_LEN);
	uint32_t len = get32(h + SDT_LENGTH);

	if (len < SDT_HEADER_LEN || len > ACPI_TABLE_MAX_LEN)
		return NULL;
	return paging_map_mmio(pa, len);
}

/* The FADT among the RSDT's (4-byte) or XSDT's (8-byte) entries. */
static const uint8_t *find_fadt(const uint8_t *sdt, unsigned entry_size)
{
	uint32_t n = (get32(sdt + SDT_LENGTH) - SDT_HEADER_LEN) / entry_size;

	for (uint32_t i = 0; i < n && i < ACPI_TABLES_MAX; i++) {
		const uint8_t *e = sdt + SDT_HEADER_LEN + i * entry_size;
		uint64_t pa = entry_size == 8 ? get64(e) : get32(e);
		const uint8_t *t = pa ? paging_map_mmio(pa, SDT_HEADER_LEN) : NULL;

		if (t && !memcmp(t, "FACP", 4))
			return map_table(pa);
	}
	return NULL;
}

/* SLP_TYPa of \_S5 in the DSDT's AML, or -1. */
static int find_s5(const uint8_t *dsdt)
{
	uint32_t len = get32(dsdt + SDT_LENGTH);

	for (uint32_t i = SDT_HEADER_LEN; i + 10 < len; i++) {
		const uint8_t *p = dsdt + i;

		if (memcmp(p, "_S5_", 4) || p[-1] != AML_NAME_OP || p[4] != AML_PACKAGE_OP)
			continue;
		p += 5 + 1 + ((p[5] >> AML_PKGLEN_BYTES) & 3) + 1; /* PkgLength, NumElements */
		if (*p == AML_BYTE_PREFIX)
			return p[1];
		if (*p == AML_ZERO_OP || *p == AML_ONE_OP)
			return *p;
		return -1;
	}
	return -1;
}

static void read_fadt(const uint8_t *fadt)
{
	uint32_t len = get32(fadt + SDT_LENGTH);
	const uint8_t *dsdt;

	pm1a_cnt = (uint16_t)get32(fadt + FADT_PM1A_CNT);
	if (len > FADT_RESET_VALUE && (get32(fadt + FADT_FLAGS) & FADT_RESET_SUP) &&
	    fadt[FADT_RESET_REG] == GAS_SPACE_IO) {
		reset_port = (uint16_t)get64(fadt + FADT_RESET_ADDR);
		reset_value = fadt[FADT_RESET_VALUE];
	}
	if (get32(fadt + FADT_DSDT) && (dsdt = map_table(get32(fadt + FADT_DSDT))))
		s5_slp_typ = find_s5(dsdt);
}

void power_init(uint64_t rsdp_paddr)
{
	const uint8_t *rsdp, *sdt, *fadt = NULL;

	if (!rsdp_paddr)
		return;
	rsdp = paging_map_mmio(rsdp_paddr, RSDP_V2_LEN);
	if (memcmp(rsdp, "RSD PTR ", 8))
		return;
	if (rsdp[RSDP_REVISION] >= 2 && get64(rsdp + RSDP_XSDT) &&
	    (sdt = map_table(get64(rsdp + RSDP_XSDT))))
		fadt = find_fadt(sdt, 8);
	else if (get32(rsdp + RSDP_RSDT) && (sdt = map_table(get32(rsdp + RSDP_RSDT))))
		fadt = find_fadt(sdt, 4);
	if (fadt)
		read_fadt(fadt);
}

void power_off(void)
{
	irq_disable();
	if (pm1a_cnt && s5_slp_typ >= 0)
		outw(pm1a_cnt, (uint16_t)(s5_slp_typ << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN);
	for (;;) /* no ACPI: stay halted */
		__asm__ volatile("cli; hlt");
}

void power_reset(void)
{
	irq_disable();
	if (reset_port)
		outb(reset_port, reset_value);
	outb(PCI_RESET_PORT, PCI_RESET_HARD);
	outb(KBD_CMD_PORT, KBD_PULSE_RESET);
	for (;;)
		__asm__ volatile("cli; hlt");
}
