/* test_daemon_mac.c - the stable "auto" MAC (daemon/mac.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/mac.h"

static const char id_a[] = "3d1219c7c4c5404aaa1f6d2a48adfda4";
static const char id_b[] = "0123456789abcdef0123456789abcdef";

static void assert_local_unicast(const struct eth_addr *m)
{
    assert_int_equal(m->b[0] & 0x01, 0);    /* I/G clear: unicast */
    assert_int_equal(m->b[0] & 0x02, 0x02); /* U/L set: locally administered */
}

static void test_derive_is_deterministic(void **state)
{
    (void)state;
    struct eth_addr m1, m2;
    mac_derive(id_a, strlen(id_a), "tcpip0", &m1);
    mac_derive(id_a, strlen(id_a), "tcpip0", &m2);
    assert_memory_equal(m1.b, m2.b, 6);
    assert_local_unicast(&m1);
}

static void test_derive_depends_on_name_and_seed(void **state)
{
    (void)state;
    struct eth_addr a0, a1, b0;
    mac_derive(id_a, strlen(id_a), "tcpip0", &a0);
    mac_derive(id_a, strlen(id_a), "tcpip1", &a1);
    mac_derive(id_b, strlen(id_b), "tcpip0", &b0);
    assert_memory_not_equal(a0.b, a1.b, 6);
    assert_memory_not_equal(a0.b, b0.b, 6);
    assert_local_unicast(&a1);
    assert_local_unicast(&b0);
    /* the separator keeps ("...a", "b") apart from ("...", "ab") */
    struct eth_addr x, y;
    mac_derive("seeda", 5, "b", &x);
    mac_derive("seed", 4, "ab", &y);
    assert_memory_not_equal(x.b, y.b, 6);
}

static void test_bits_hold_for_many_names(void **state)
{
    (void)state;
    /* Whatever the hash gives, the two low bits of octet 0 are forced; and
     * 256 names should give 256 different addresses. */
    struct eth_addr seen[256];
    for (int i = 0; i < 256; i++) {
        char name[16];
        snprintf(name, sizeof name, "tap%d", i);
        mac_derive(id_a, strlen(id_a), name, &seen[i]);
        assert_local_unicast(&seen[i]);
        for (int j = 0; j < i; j++)
            assert_memory_not_equal(seen[i].b, seen[j].b, 6);
    }
}

static char *write_temp(const char *content)
{
    char *path = strdup("/tmp/tcpip-mac-XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(content);
    assert_int_equal(write(fd, content, n), (ssize_t)n);
    close(fd);
    return path;
}

static void test_auto_reads_machine_id_ignoring_newline(void **state)
{
    (void)state;
    char *with_nl = write_temp("3d1219c7c4c5404aaa1f6d2a48adfda4\n");
    char *without = write_temp("3d1219c7c4c5404aaa1f6d2a48adfda4");
    struct eth_addr m1, m2, want;
    assert_int_equal(mac_auto(with_nl, "tcpip0", &m1), 0);
    assert_int_equal(mac_auto(without, "tcpip0", &m2), 0);
    mac_derive(id_a, strlen(id_a), "tcpip0", &want);
    assert_memory_equal(m1.b, want.b, 6);
    assert_memory_equal(m2.b, want.b, 6);
    unlink(with_nl);
    unlink(without);
    free(with_nl);
    free(without);
}

static void test_auto_falls_back_without_machine_id(void **state)
{
    (void)state;
    struct eth_addr m1, m2;
    assert_int_equal(mac_auto("/nonexistent/machine-id", "tcpip0", &m1), 1);
    assert_int_equal(mac_auto("/nonexistent/machine-id", "tcpip0", &m2), 1);
    assert_memory_equal(m1.b, m2.b, 6);
    assert_local_unicast(&m1);
    /* an empty file is no machine id either */
    char *empty = write_temp("");
    struct eth_addr m3;
    assert_int_equal(mac_auto(empty, "tcpip0", &m3), 1);
    assert_memory_equal(m1.b, m3.b, 6);
    unlink(empty);
    free(empty);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_derive_is_deterministic),
        cmocka_unit_test(test_derive_depends_on_name_and_seed),
        cmocka_unit_test(test_bits_hold_for_many_names),
        cmocka_unit_test(test_auto_reads_machine_id_ignoring_newline),
        cmocka_unit_test(test_auto_falls_back_without_machine_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
