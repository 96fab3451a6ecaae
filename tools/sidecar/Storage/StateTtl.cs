using System.Globalization;

namespace Storebridge.Sidecar.Storage;

/// <summary>A <c>ttlInSeconds</c> Dapr's state stores refuse; the message is the one they give.</summary>
internal sealed class InvalidTtlException(string message) : Exception(message);

/// <summary>Dapr's per-item state TTL: the <c>ttlInSeconds</c> request metadata and the <c>ttlExpireTime</c> answer.</summary>
internal static class StateTtl
{
    public const string RequestKey = "ttlInSeconds";

    public const string ExpireTimeKey = "ttlExpireTime";

    /// <summary>
    /// The TTL in seconds, or null when none was given. -1 and 0 are accepted and mean "never expires"; anything
    /// that is not an integer, or is below -1 or above int.MaxValue, is refused as the components-contrib stores do.
    /// </summary>
    public static int? Parse(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds))
        {
            var reason = IsDigits(value) ? "value out of range" : "invalid syntax";
            throw new InvalidTtlException($"error parsing TTL: incorrect value for metadata '{RequestKey}': strconv.ParseInt: parsing \"{value}\": {reason}");
        }

        if (seconds < -1 || seconds > int.MaxValue)
        {
            throw new InvalidTtlException($"error parsing TTL: incorrect value for metadata '{RequestKey}': must be -1 or greater");
        }

        return (int)seconds;
    }

    /// <summary>RFC 3339 in UTC to the second, as daprd reports <c>ttlExpireTime</c>.</summary>
    public static string Format(DateTimeOffset expiresAt) =>
        expiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static bool IsDigits(string value)
    {
        var digits = value[0] is '+' or '-' ? value.AsSpan(1) : value.AsSpan();
        return digits.Length > 0 && !digits.ContainsAnyExceptInRange('0', '9');
    }
}
