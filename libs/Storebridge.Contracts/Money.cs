using System.Globalization;
using System.Text.RegularExpressions;

namespace Storebridge.Contracts.Common.V1;

/// <summary>Conversions between the wire form of money (a decimal string) and <see cref="decimal"/>.</summary>
public sealed partial class Money
{
    /// <summary>Money from a decimal amount, written with invariant culture and without losing its scale.</summary>
    public static Money From(decimal amount, string currencyCode) => new()
    {
        Amount = amount.ToString(CultureInfo.InvariantCulture),
        CurrencyCode = currencyCode.ToUpperInvariant(),
    };

    /// <summary>Parses a store's money string (<c>"29.35"</c>) exactly; throws <see cref="FormatException"/> for anything else.</summary>
    public static Money Parse(string amount, string currencyCode)
    {
        if (!IsValidAmount(amount))
        {
            throw new FormatException($"'{amount}' is not a decimal amount (digits with an optional '-' and '.').");
        }

        if (!CurrencyPattern().IsMatch(currencyCode))
        {
            throw new FormatException($"'{currencyCode}' is not an ISO 4217 currency code.");
        }

        return new Money { Amount = amount, CurrencyCode = currencyCode };
    }

    /// <summary>The amount as a decimal; an empty amount reads as zero.</summary>
    public decimal ToDecimal() =>
        string.IsNullOrEmpty(Amount) ? 0m : decimal.Parse(Amount, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);

    /// <summary>Whether a string is in the wire form of an amount.</summary>
    public static bool IsValidAmount(string amount) => AmountPattern().IsMatch(amount);

    [GeneratedRegex(@"^-?\d{1,20}(\.\d{1,10})?$")]
    private static partial Regex AmountPattern();

    [GeneratedRegex("^[A-Z]{3}$")]
    private static partial Regex CurrencyPattern();
}
