using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Storebridge.Inventory.Domain;

namespace Storebridge.Inventory.Ingest;

/// <summary>
/// Reads ERPNext <c>Bin</c> rows (per item and warehouse: <c>actual_qty</c>, <c>reserved_qty</c>) ordered by
/// <c>modified</c>. The cursor is "last modified|rows already read with that modified", so rows sharing a
/// timestamp across a page boundary are neither skipped nor read forever.
/// </summary>
public sealed class FrappeBinStockFeed(HttpClient http, IOptions<InventoryOptions> options, TimeProvider time) : IErpStockFeed
{
    private const int PageSize = 500;

    /// <inheritdoc />
    public bool IsConfigured => options.Value.ErpBaseUrl is not null;

    /// <inheritdoc />
    public async Task<ErpStockPage> ReadChangesAsync(string? cursor, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var (since, skip) = ParseCursor(cursor);
        // Taken before the request: the rows returned reflect the ERP at or after this moment.
        var asOf = time.GetUtcNow();
        var filters = since is null ? "[]" : JsonSerializer.Serialize(new[] { new[] { "modified", ">=", since } });
        var url = $"api/resource/Bin?fields={Uri.EscapeDataString("[\"item_code\",\"warehouse\",\"actual_qty\",\"reserved_qty\",\"modified\"]")}"
            + $"&filters={Uri.EscapeDataString(filters)}&order_by={Uri.EscapeDataString("modified asc")}"
            + $"&limit_start={skip}&limit_page_length={PageSize}";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(settings.ErpBaseUrl!, url));
        if (!string.IsNullOrEmpty(settings.ErpApiKey))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("token", $"{settings.ErpApiKey}:{settings.ErpApiSecret}");
        }

        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        var rows = body.RootElement.GetProperty("data").EnumerateArray().ToList();
        var levels = new List<ErpStockLevel>(rows.Count);
        string? last = since;
        var sameAsLast = skip;
        foreach (var row in rows)
        {
            var modified = row.GetProperty("modified").GetString();
            levels.Add(new ErpStockLevel(
                row.GetProperty("item_code").GetString() ?? "",
                row.GetProperty("warehouse").GetString() ?? "",
                (long)Math.Floor(row.GetProperty("actual_qty").GetDouble()),
                (long)Math.Ceiling(row.GetProperty("reserved_qty").GetDouble()),
                asOf));
            if (modified == last)
            {
                sameAsLast++;
            }
            else
            {
                last = modified;
                sameAsLast = 1;
            }
        }

        var next = last is null ? cursor : $"{last}|{sameAsLast.ToString(CultureInfo.InvariantCulture)}";
        return new ErpStockPage(levels, next, rows.Count == PageSize);
    }

    private static (string? Since, int Skip) ParseCursor(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return (null, 0);
        }

        var bar = cursor.LastIndexOf('|');
        return bar < 0
            ? (cursor, 0)
            : (cursor[..bar], int.Parse(cursor[(bar + 1)..], CultureInfo.InvariantCulture));
    }
}
