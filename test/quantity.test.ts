import * as assert from "node:assert/strict";
import { compareQuantities, parseQuantity, type Quantity, wholeUnits } from "../components/quantity";

function parsed(value: string | number): Quantity {
    const quantity = parseQuantity(value);
    assert.ok(quantity !== undefined, `${JSON.stringify(value)} should parse`);
    return quantity;
}

function assertSame(a: string | number, b: string | number): void {
    assert.equal(compareQuantities(parsed(a), parsed(b)), 0, `${a} should equal ${b}`);
}

describe("quantity", () => {
    it("parses nano, micro, milli, decimal and binary suffixes exactly", () => {
        assertSame("250000000n", "250m");
        assertSame("1500u", "1.5m");
        assertSame("100m", "0.1");
        assertSame("1500m", "1.5");
        assertSame("1k", "1000");
        assertSame("2M", "2000k");
        assertSame("1G", "1000M");
        assertSame("1T", "1000G");
        assertSame("1P", "1000T");
        assertSame("1E", "1000P");
        assertSame("1Ki", "1024");
        assertSame("1Mi", "1024Ki");
        assertSame("1Gi", "1024Mi");
        assertSame("1Ti", "1024Gi");
        assertSame("1Pi", "1024Ti");
        assertSame("1Ei", "1024Pi");
        assertSame("0.5Gi", "512Mi");
    });

    it("parses decimal exponents, telling them apart from the exa suffix", () => {
        assertSame("1e3", "1k");
        assertSame("1E3", "1000");
        assertSame("12e-3", "12m");
        assertSame("1.5e+2", "150");
        assertSame("2E", "2000P");
    });

    it("parses the decimal forms of the Kubernetes grammar and signs", () => {
        assertSame(".5", "500m");
        assertSame("5.", "5");
        assertSame("+1", "1");
        assert.ok(compareQuantities(parsed("-1"), parsed("0")) < 0);
    });

    it("accepts plain numbers, as Pulumi programs may write them", () => {
        assertSame(2, "2");
        assertSame(0.25, "250m");
        assertSame(1e21, "1000E");
    });

    it("orders quantities across units without rounding", () => {
        assert.ok(compareQuantities(parsed("999m"), parsed("1")) < 0);
        assert.ok(compareQuantities(parsed("129Mi"), parsed("128Mi")) > 0);
        assert.ok(compareQuantities(parsed("1G"), parsed("1Gi")) < 0);
        const pairs: [string, string][] = [
            ["0.3", "300m"],
            ["0.7", "700m"],
            ["2.3", "2300m"],
            ["4.35", "4350m"],
        ];
        for (const [decimal, milli] of pairs) {
            assertSame(decimal, milli);
        }
    });

    it("rejects what is not a quantity", () => {
        for (const value of [
            "",
            " 64Mi",
            "64Mi ",
            "m",
            "1.2.3",
            "1mi",
            "1KB",
            "1e",
            "ten",
            "1 Gi",
            "1Ki2",
            "0x10",
            "1e1000",
            Number.NaN,
            Number.POSITIVE_INFINITY,
            {},
            null,
            true,
        ]) {
            assert.equal(parseQuantity(value), undefined, `${JSON.stringify(value)} should not parse`);
        }
    });

    it("rounds a share of a quantity down to whole units", () => {
        assert.equal(wholeUnits(parsed("64Mi"), { numerator: 9n, denominator: 10n }), 60397977n);
        assert.equal(wholeUnits(parsed("1.5Gi")), 1610612736n);
        assert.equal(wholeUnits(parsed("250m")), 0n);
    });
});
