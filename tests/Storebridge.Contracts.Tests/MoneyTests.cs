using Storebridge.Contracts.Common.V1;

namespace Storebridge.Contracts.Tests;

public class MoneyTests
{
    [Theory]
    [InlineData("29.35", 29.35)]
    [InlineData("-4.10", -4.10)]
    [InlineData("0", 0)]
    [InlineData("1234567.891", 1234567.891)]
    public void Store_amount_strings_parse_exactly(string amount, decimal expected)
    {
        Assert.Equal(expected, Money.Parse(amount, "EUR").ToDecimal());
    }

    [Fact]
    public void The_scale_the_store_wrote_is_kept()
    {
        Assert.Equal("29.50", Money.Parse("29.50", "EUR").Amount);
        Assert.Equal("29.50", Money.From(29.50m, "eur").Amount);
        Assert.Equal("EUR", Money.From(29.50m, "eur").CurrencyCode);
    }

    [Theory]
    [InlineData("1e3")]
    [InlineData("1,000.00")]
    [InlineData("29,35")]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("NaN")]
    public void Anything_but_a_plain_decimal_is_rejected(string amount)
    {
        Assert.Throws<FormatException>(() => Money.Parse(amount, "EUR"));
    }

    [Theory]
    [InlineData("eur")]
    [InlineData("EURO")]
    [InlineData("")]
    public void Currency_must_be_an_iso_code(string currency)
    {
        Assert.Throws<FormatException>(() => Money.Parse("1.00", currency));
    }
}
