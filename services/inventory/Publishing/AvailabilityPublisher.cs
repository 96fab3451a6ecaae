using System.Text.Json;
using System.Threading.Channels;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Storebridge.Contracts;
using Storebridge.Contracts.Inventory.V1;
using Storebridge.Inventory.Domain;

namespace Storebridge.Inventory.Publishing;

/// <summary>
/// The inventory's events, through a transactional outbox (docs/decisions/0054). A change stages its events in the
/// outbox of a SKU document it writes anyway, so they are stored in the same state transaction as the change; after
/// the write they are published in bulk from memory, in the order they were raised. A later write of that document
/// drops the entries this replica has published; entries nobody published (the writer crashed) are published again,
/// with the same CloudEvent id, by <see cref="OutboxRecovery"/>. Store pushes are queued per SKU after the write.
/// </summary>
public sealed partial class AvailabilityPublisher : IAsyncDisposable
{
    private const int MaxBatch = 500;
    private const int MaxAttempts = 5;
    private const int RememberedPerGeneration = 100_000;

    private readonly IEventTransport _transport;
    private readonly StorePushQueue _queue;
    private readonly ILogger<AvailabilityPublisher> _logger;
    private readonly Channel<OutboxEvent> _pending = Channel.CreateUnbounded<OutboxEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _pump;
    private readonly Lock _publishedLock = new();
    // Ids published by this replica, in two generations so memory stays bounded; forgetting an id only means the
    // sweep may publish that event once more (same id) if its document is never written again.
    private HashSet<string> _published = new(StringComparer.Ordinal);
    private HashSet<string> _publishedBefore = new(StringComparer.Ordinal);
    private long _enqueued;
    private long _sent;

    /// <summary>Creates the publisher and starts draining what is staged.</summary>
    public AvailabilityPublisher(IEventTransport transport, StorePushQueue queue, ILogger<AvailabilityPublisher> logger)
    {
        _transport = transport;
        _queue = queue;
        _logger = logger;
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Stages <c>inventory.availability-changed</c> for each change of the document's SKU.</summary>
    public void StageChanges(SkuStock doc, IReadOnlyList<AvailabilityChange> changes, DateTimeOffset now, List<OutboxEvent> staged)
    {
        foreach (var change in changes)
        {
            var message = new AvailabilityChanged
            {
                Sku = change.Sku,
                StoreId = change.StoreId,
                PreviousAvailable = change.Previous ?? 0,
                Available = change.Available,
                OccurredAt = Timestamp.FromDateTimeOffset(now),
            };
            Stage(doc, message, now, staged, change.StoreId, change.Sku);
        }
    }

    /// <summary>Stages one canonical event in the document's outbox (written with the document).</summary>
    public void Stage(SkuStock doc, IMessage message, DateTimeOffset now, List<OutboxEvent> staged, string? storeId = null, string? sku = null)
    {
        var definition = EventCatalog.ForMessage(message.Descriptor);
        using var json = JsonDocument.Parse(EventJson.Format(message));
        var item = new OutboxEvent(Guid.NewGuid().ToString("N"), definition.Topic, definition.CloudEventType, json.RootElement.Clone(), now, storeId, sku);
        (doc.Outbox ??= []).Add(item);
        staged.Add(item);
    }

    /// <summary>Drops the outbox entries this replica has already published, before the document is written again.</summary>
    public void Prune(SkuStock doc)
    {
        if (doc.Outbox is not { Count: > 0 } outbox)
        {
            return;
        }

        lock (_publishedLock)
        {
            outbox.RemoveAll(e => _published.Contains(e.Id) || _publishedBefore.Contains(e.Id));
        }

        if (outbox.Count == 0)
        {
            doc.Outbox = null;
        }
    }

    /// <summary>Whether this replica has published the event.</summary>
    public bool WasPublished(string id)
    {
        lock (_publishedLock)
        {
            return _published.Contains(id) || _publishedBefore.Contains(id);
        }
    }

    /// <summary>After the state write that stored them: queues the store pushes and publishes the events.</summary>
    public void Written(IReadOnlyList<OutboxEvent> staged)
    {
        foreach (var item in staged)
        {
            if (item.StoreId is not null && item.Sku is not null)
            {
                _queue.Enqueue(item.StoreId, item.Sku);
            }

            Interlocked.Increment(ref _enqueued);
            _pending.Writer.TryWrite(item);
        }
    }

    /// <summary>
    /// Publishes events left in an outbox (recovery) and queues their store pushes; returns the ids published.
    /// </summary>
    public async Task<List<string>> PublishNowAsync(IReadOnlyList<OutboxEvent> events, CancellationToken cancellationToken)
    {
        var published = new List<string>(events.Count);
        foreach (var group in events.GroupBy(e => e.Topic, StringComparer.Ordinal))
        {
            var batch = group.ToList();
            var failed = (await _transport.SendAsync(group.Key, batch, cancellationToken)).ToHashSet(StringComparer.Ordinal);
            foreach (var item in batch.Where(e => !failed.Contains(e.Id)))
            {
                published.Add(item.Id);
                if (item.StoreId is not null && item.Sku is not null)
                {
                    _queue.Enqueue(item.StoreId, item.Sku);
                }
            }
        }

        Remember(published);
        return published;
    }

    /// <summary>Waits until every event staged so far was handed to the runtime (or given up on).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var target = Interlocked.Read(ref _enqueued);
        while (Interlocked.Read(ref _sent) < target)
        {
            await Task.Delay(5, cancellationToken);
        }
    }

    private void Remember(IEnumerable<string> ids)
    {
        lock (_publishedLock)
        {
            foreach (var id in ids)
            {
                _published.Add(id);
            }

            if (_published.Count > RememberedPerGeneration)
            {
                _publishedBefore = _published;
                _published = new HashSet<string>(StringComparer.Ordinal);
            }
        }
    }

    private async Task PumpAsync()
    {
        var batch = new List<OutboxEvent>(MaxBatch);
        while (await _pending.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            // Consecutive runs of one topic keep the order events were raised in.
            var start = 0;
            while (start < batch.Count)
            {
                var end = start;
                while (end < batch.Count && batch[end].Topic == batch[start].Topic)
                {
                    end++;
                }

                await SendAsync(batch[start].Topic, batch.GetRange(start, end - start));
                start = end;
            }

            Interlocked.Add(ref _sent, batch.Count);
            batch.Clear();
        }
    }

    private async Task SendAsync(string topic, List<OutboxEvent> events)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var failed = await _transport.SendAsync(topic, events, CancellationToken.None);
                var failedIds = failed.ToHashSet(StringComparer.Ordinal);
                Remember(events.Where(e => !failedIds.Contains(e.Id)).Select(e => e.Id));
                events = [.. events.Where(e => failedIds.Contains(e.Id))];
                if (events.Count == 0)
                {
                    return;
                }
            }
            catch (Exception ex) when (attempt < MaxAttempts)
            {
                LogPublishRetry(_logger, topic, events.Count, ex);
            }
            catch (Exception ex)
            {
                // Still in the outbox: the sweep publishes them later.
                LogPublishFailed(_logger, topic, events.Count, ex);
                return;
            }

            if (attempt >= MaxAttempts)
            {
                LogPublishFailed(_logger, topic, events.Count, null);
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt));
        }
    }

    /// <summary>Publishes what is still staged, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _pump.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Publishing {Count} event(s) to {Topic} failed; retrying")]
    private static partial void LogPublishRetry(ILogger logger, string topic, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing {Count} event(s) to {Topic} failed; they stay in the outbox for the sweep")]
    private static partial void LogPublishFailed(ILogger logger, string topic, int count, Exception? exception);
}
