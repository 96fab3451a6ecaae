using System.Text.Json;
using System.Text.Json.Serialization;
using Dapr;
using Dapr.Client;
using Microsoft.Extensions.Options;
using Storebridge.Inventory.Domain;
using Storebridge.ServiceDefaults;

namespace Storebridge.Inventory.State;

/// <summary>A document read with the ETag it had.</summary>
/// <typeparam name="T">Document type.</typeparam>
/// <param name="Key">State key.</param>
/// <param name="Value">The document, or null when absent.</param>
/// <param name="ETag">The ETag, or null when absent.</param>
public sealed record Versioned<T>(string Key, T? Value, string? ETag) where T : class;

/// <summary>One write of an all-or-nothing state transaction.</summary>
/// <param name="Key">State key.</param>
/// <param name="Value">The document (null deletes).</param>
/// <param name="ETag">Expected ETag; null with <paramref name="CreateOnly"/> means "only if absent".</param>
/// <param name="CreateOnly">Fail when the key already exists.</param>
/// <param name="TtlSeconds">Time to live of the entry, when set.</param>
public sealed record StateWrite(string Key, object? Value, string? ETag, bool CreateOnly = false, int? TtlSeconds = null);

/// <summary>
/// The inventory's documents in the Dapr state store. Every multi-document change is one state transaction with
/// ETags, so replicas never need in-process locks: a lost race surfaces as <c>false</c> and the caller re-reads.
/// </summary>
public sealed class InventoryState(DaprClient dapr, IOptions<InventoryOptions> options)
{
    // Absent values are left out: every reservation rewrites its SKU documents whole, so their size is the cost.
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private string Store => options.Value.StateStore;

    /// <summary>Key of a SKU's document.</summary>
    public static string SkuKey(string sku) => $"sku:{sku}";

    /// <summary>Key of a reservation.</summary>
    public static string ReservationKey(string orderRef) => $"reservation:{orderRef}";

    /// <summary>Key of the list of every SKU the inventory knows.</summary>
    public const string CatalogKey = "catalog";

    /// <summary>Key of the ERP poll cursor.</summary>
    public const string ErpCursorKey = "erp-cursor";

    /// <summary>Key marking an ERP event as applied.</summary>
    public static string ErpEventKey(string id) => $"erp-event:{id}";

    /// <summary>Reads one document and its ETag.</summary>
    public async Task<Versioned<T>> GetAsync<T>(string key, CancellationToken cancellationToken) where T : class
    {
        var (value, etag) = await dapr.GetStateAndETagAsync<JsonElement>(Store, key, cancellationToken: cancellationToken).ConfigureAwait(false);
        var document = value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? null : value.Deserialize<T>(Json);
        return new Versioned<T>(key, document, string.IsNullOrEmpty(etag) ? null : etag);
    }

    /// <summary>Reads many documents and their ETags, in the order of <paramref name="keys"/>.</summary>
    public async Task<List<Versioned<T>>> GetManyAsync<T>(IReadOnlyList<string> keys, CancellationToken cancellationToken) where T : class =>
        [.. (await GetRawAsync(keys, cancellationToken)).Select(Parse<T>)];

    /// <summary>
    /// Reads documents of two types in a single runtime call (reservations and their SKUs), each list in the order of
    /// its keys.
    /// </summary>
    public async Task<(List<Versioned<TFirst>> First, List<Versioned<TRest>> Others)> GetManyAsync<TFirst, TRest>(
        IReadOnlyList<string> firstKeys, IReadOnlyList<string> keys, CancellationToken cancellationToken)
        where TFirst : class
        where TRest : class
    {
        var raw = await GetRawAsync([.. firstKeys, .. keys], cancellationToken);
        return ([.. raw.Take(firstKeys.Count).Select(Parse<TFirst>)], [.. raw.Skip(firstKeys.Count).Select(Parse<TRest>)]);
    }

    private async Task<List<(string Key, string? Json, string? ETag)>> GetRawAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        if (keys.Count == 0)
        {
            return [];
        }

        var items = await dapr.GetBulkStateAsync(Store, keys, parallelism: 0, cancellationToken: cancellationToken).ConfigureAwait(false);
        var byKey = new Dictionary<string, BulkStateItem>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            byKey[item.Key] = item;
        }

        return [.. keys.Select(k => byKey.TryGetValue(k, out var item) && !string.IsNullOrEmpty(item.Value)
            ? (k, (string?)item.Value, string.IsNullOrEmpty(item.ETag) ? null : item.ETag)
            : (k, null, null))];
    }

    private static Versioned<T> Parse<T>((string Key, string? Json, string? ETag) raw) where T : class =>
        new(raw.Key, Deserialize<T>(raw.Json), raw.ETag);

    /// <summary>
    /// Writes everything or nothing. Returns false when another writer got there first (an ETag no longer matches, or
    /// a create-only key exists): re-read and decide again.
    /// </summary>
    public async Task<bool> TryWriteAsync(IReadOnlyList<StateWrite> writes, CancellationToken cancellationToken)
    {
        var operations = writes.Select(ToOperation).ToList();
        try
        {
            await dapr.ExecuteStateTransactionAsync(Store, operations, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DaprException ex) when (StateConflicts.IsConflict(ex))
        {
            return false;
        }
    }

    private static StateTransactionRequest ToOperation(StateWrite write)
    {
        var metadata = write.TtlSeconds is { } ttl
            ? new Dictionary<string, string> { ["ttlInSeconds"] = ttl.ToString(System.Globalization.CultureInfo.InvariantCulture) }
            : null;
        if (write.Value is null)
        {
            // A delete with an ETag only deletes that version (the pusher lease is given up this way).
            var deleteOptions = write.ETag is not null ? new StateOptions { Concurrency = ConcurrencyMode.FirstWrite } : null;
            return new StateTransactionRequest(write.Key, null, StateOperationType.Delete, write.ETag, metadata, deleteOptions);
        }

        var bytes = JsonSerializer.SerializeToUtf8Bytes(write.Value, write.Value.GetType(), Json);
        // Without an ETag, first-write concurrency means "create only if absent"; with one, the ETag must match.
        var stateOptions = write.CreateOnly || write.ETag is not null
            ? new StateOptions { Concurrency = ConcurrencyMode.FirstWrite }
            : null;
        return new StateTransactionRequest(write.Key, bytes, StateOperationType.Upsert, write.ETag, metadata, stateOptions);
    }

    private static T? Deserialize<T>(string? value) where T : class =>
        string.IsNullOrEmpty(value) ? null : JsonSerializer.Deserialize<T>(value, Json);
}
