using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Storebridge.Inventory.Publishing;

/// <summary>
/// SKUs whose stock must be pushed, per store. Only the SKU is queued, never a value: the pusher reads the current
/// value from state when it sends, so a retry or a late batch can never put an older value over a newer one.
/// </summary>
public sealed class StorePushQueue
{
    private readonly ConcurrentDictionary<string, StoreLane> _lanes = new(StringComparer.Ordinal);
    private readonly Channel<StoreLane> _newLanes = Channel.CreateUnbounded<StoreLane>();

    /// <summary>Lanes as they are created, for the pusher to start serving them.</summary>
    internal ChannelReader<StoreLane> NewLanes => _newLanes.Reader;

    /// <summary>Queues a SKU of a store; queuing it again before the push coalesces.</summary>
    public void Enqueue(string storeId, string sku) => Lane(storeId).Add(sku);

    /// <summary>Queues many SKUs of a store.</summary>
    public void EnqueueMany(string storeId, IEnumerable<string> skus)
    {
        var lane = Lane(storeId);
        foreach (var sku in skus)
        {
            lane.Add(sku);
        }
    }

    /// <summary>SKUs waiting for a store.</summary>
    public int PendingFor(string storeId) => _lanes.TryGetValue(storeId, out var lane) ? lane.Count : 0;

    /// <summary>SKUs pushed successfully to a store since start.</summary>
    public long PushedFor(string storeId) => _lanes.TryGetValue(storeId, out var lane) ? Interlocked.Read(ref lane.PushedTotal) : 0;

    internal StoreLane Lane(string storeId) => _lanes.GetOrAdd(storeId, id =>
    {
        var lane = new StoreLane(id);
        _newLanes.Writer.TryWrite(lane);
        return lane;
    });
}

/// <summary>The pending SKUs of one store and a signal for its pusher.</summary>
internal sealed class StoreLane(string storeId)
{
    private readonly ConcurrentDictionary<string, byte> _pending = new(StringComparer.Ordinal);
    // One pending wake-up is enough: the pusher drains everything queued when it wakes.
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ConcurrentDictionary<RepublishJob, byte> _jobs = new();

    /// <summary>Successful pushes since start (read with <see cref="Interlocked"/>).</summary>
    public long PushedTotal;

    public string StoreId { get; } = storeId;

    public int Count => _pending.Count;

    public void Add(string sku)
    {
        if (_pending.TryAdd(sku, 0))
        {
            _signal.Writer.TryWrite(true);
        }
    }

    /// <summary>Wakes the pusher without queuing anything (SKUs were left queued after a failure, or the lease was acquired).</summary>
    public void Wake() => _signal.Writer.TryWrite(true);

    public async Task WaitAsync(CancellationToken cancellationToken) => await _signal.Reader.ReadAsync(cancellationToken);

    /// <summary>Takes up to <paramref name="max"/> pending SKUs off the queue.</summary>
    public List<string> Take(int max)
    {
        var taken = new List<string>(Math.Min(max, _pending.Count));
        foreach (var sku in _pending.Keys)
        {
            if (taken.Count == max)
            {
                break;
            }

            if (_pending.TryRemove(sku, out _))
            {
                taken.Add(sku);
            }
        }

        return taken;
    }

    public void Track(RepublishJob job) => _jobs[job] = 0;

    public void OnPushed(IReadOnlyCollection<string> skus)
    {
        Interlocked.Add(ref PushedTotal, skus.Count);
        OnHandedOff(skus);
    }

    /// <summary>SKUs handed to the store's lease holder count as done for re-publish progress kept here.</summary>
    public void OnHandedOff(IReadOnlyCollection<string> skus)
    {
        foreach (var job in _jobs.Keys)
        {
            if (job.MarkPushed(skus))
            {
                _jobs.TryRemove(job, out _);
            }
        }
    }
}
