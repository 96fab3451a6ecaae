using Dapr.Client;
using Microsoft.Extensions.Logging;

namespace Storebridge.ServiceDefaults.Exceptions;

/// <summary>
/// The service's exception queue in its own Dapr state: every record under <c>exception|{id}</c> and an index of ids,
/// newest first, updated with ETags so concurrent writers across replicas never lose an entry.
/// </summary>
public sealed partial class ExceptionQueue(DaprClient dapr, TimeProvider time, ILogger<ExceptionQueue> logger)
{
    private const string IndexKey = "exceptions|index";

    /// <summary>The index keeps this many ids; older records stay readable by id.</summary>
    public const int IndexCapacity = 10_000;

    private const int MaxEtagAttempts = 20;

    /// <summary>Records a problem, or counts one more occurrence of a record with the same id.</summary>
    public async Task<ExceptionRecord> AddAsync(ExceptionRecord record, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        for (var attempt = 0; ; attempt++)
        {
            var (existing, etag) = await dapr.GetStateAndETagAsync<ExceptionRecord>(DaprComponents.StateStore, Key(record.Id), cancellationToken: cancellationToken);
            var saved = existing is null
                ? record with { FirstSeenAt = now, LastSeenAt = now, Occurrences = 1 }
                : existing with { LastSeenAt = now, Occurrences = existing.Occurrences + 1, Reason = record.Reason };

            if (existing is null)
            {
                await dapr.SaveStateAsync(DaprComponents.StateStore, Key(record.Id), saved, cancellationToken: cancellationToken);
                await AppendToIndexAsync(record.Id, cancellationToken);
                LogRecorded(logger, saved.Kind, saved.Id, saved.Reason);
                return saved;
            }

            if (await dapr.TrySaveStateAsync(DaprComponents.StateStore, Key(record.Id), saved, etag, cancellationToken: cancellationToken))
            {
                LogRecorded(logger, saved.Kind, saved.Id, saved.Reason);
                return saved;
            }

            if (attempt >= MaxEtagAttempts)
            {
                throw new InvalidOperationException($"Exception record {record.Id} kept changing under concurrent writers.");
            }
        }
    }

    /// <summary>One record, or null.</summary>
    public Task<ExceptionRecord?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        dapr.GetStateAsync<ExceptionRecord?>(DaprComponents.StateStore, Key(id), cancellationToken: cancellationToken);

    /// <summary>The newest records, optionally only those in one status.</summary>
    public async Task<IReadOnlyList<ExceptionRecord>> ListAsync(ExceptionStatus? status = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        var ids = await dapr.GetStateAsync<List<string>>(DaprComponents.StateStore, IndexKey, cancellationToken: cancellationToken) ?? [];
        var result = new List<ExceptionRecord>();
        foreach (var page in ids.Chunk(100))
        {
            var items = await dapr.GetBulkStateAsync<ExceptionRecord>(DaprComponents.StateStore, page.Select(Key).ToList(), parallelism: 1, cancellationToken: cancellationToken);
            var byKey = items.Where(i => i.Value is not null).ToDictionary(i => i.Key, i => i.Value);
            foreach (var id in page)
            {
                if (byKey.TryGetValue(Key(id), out var record) && (status is null || record.Status == status))
                {
                    result.Add(record);
                    if (result.Count >= limit)
                    {
                        return result;
                    }
                }
            }
        }

        return result;
    }

    /// <summary>Marks a record replayed or resolved, with what was done.</summary>
    public async Task<ExceptionRecord?> SetStatusAsync(string id, ExceptionStatus status, string resolution, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < MaxEtagAttempts; attempt++)
        {
            var (existing, etag) = await dapr.GetStateAndETagAsync<ExceptionRecord>(DaprComponents.StateStore, Key(id), cancellationToken: cancellationToken);
            if (existing is null)
            {
                return null;
            }

            var updated = existing with { Status = status, Resolution = resolution, LastSeenAt = time.GetUtcNow() };
            if (await dapr.TrySaveStateAsync(DaprComponents.StateStore, Key(id), updated, etag, cancellationToken: cancellationToken))
            {
                return updated;
            }
        }

        throw new InvalidOperationException($"Exception record {id} kept changing under concurrent writers.");
    }

    private async Task AppendToIndexAsync(string id, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxEtagAttempts * 5; attempt++)
        {
            var (ids, etag) = await dapr.GetStateAndETagAsync<List<string>>(DaprComponents.StateStore, IndexKey, cancellationToken: cancellationToken);
            ids ??= [];
            if (ids.Contains(id))
            {
                return;
            }

            ids.Insert(0, id);
            if (ids.Count > IndexCapacity)
            {
                ids.RemoveRange(IndexCapacity, ids.Count - IndexCapacity);
            }

            var saved = string.IsNullOrEmpty(etag)
                ? await TryCreateAsync(ids, cancellationToken)
                : await dapr.TrySaveStateAsync(DaprComponents.StateStore, IndexKey, ids, etag, cancellationToken: cancellationToken);
            if (saved)
            {
                return;
            }
        }

        throw new InvalidOperationException("The exception index kept changing under concurrent writers.");
    }

    // The first index write has no ETag to guard it; first-write concurrency makes a concurrent creator retry.
    private Task<bool> TryCreateAsync(List<string> ids, CancellationToken cancellationToken) =>
        dapr.TrySaveStateAsync(DaprComponents.StateStore, IndexKey, ids, etag: "",
            new StateOptions { Concurrency = ConcurrencyMode.FirstWrite }, cancellationToken: cancellationToken);

    private static string Key(string id) => $"exception|{id}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kept {Kind} exception {Id}: {Reason}")]
    private static partial void LogRecorded(ILogger logger, string kind, string id, string reason);
}
