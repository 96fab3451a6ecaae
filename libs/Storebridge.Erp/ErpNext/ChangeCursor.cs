using System.Buffers.Text;
using System.Text;

namespace Storebridge.Erp.ErpNext;

/// <summary>
/// The position in a change feed: the <c>modified</c> timestamp and the name of the last row handed out.
/// Frappe can give several rows the same <c>modified</c>, so the name breaks ties. Opaque to callers.
/// </summary>
internal readonly record struct ChangeCursor(string Modified, string Name)
{
    private const string Prefix = "v1.";

    public static ChangeCursor Start => new("", "");

    public bool IsStart => Modified.Length == 0;

    public static ChangeCursor Parse(string? cursor, string parameterName)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return Start;
        }

        if (cursor.StartsWith(Prefix, StringComparison.Ordinal))
        {
            try
            {
                var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor.AsSpan(Prefix.Length)));
                var split = text.IndexOf('\n', StringComparison.Ordinal);
                if (split >= 0)
                {
                    return new ChangeCursor(text[..split], text[(split + 1)..]);
                }
            }
            catch (FormatException)
            {
                // Falls through to the argument error.
            }
        }

        throw new ArgumentException("Not a cursor returned by this ERP adapter.", parameterName);
    }

    /// <summary>True when the row is at or before this cursor (already handed out).</summary>
    public bool Covers(string modified, string name)
    {
        var byTime = string.CompareOrdinal(modified, Modified);
        return byTime < 0 || (byTime == 0 && string.Compare(name, Name, StringComparison.OrdinalIgnoreCase) <= 0);
    }

    public override string ToString() => Prefix + Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{Modified}\n{Name}"));
}
