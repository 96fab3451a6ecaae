using System.Globalization;
using Storebridge.Inventory.State;

namespace Storebridge.Inventory.Publishing;

/// <summary>The lease document: which replica pushes to a store.</summary>
/// <param name="Holder">Id of the holding replica (new at every start).</param>
/// <param name="RenewedAt">When the holder last wrote it (for operators; expiry is the state TTL).</param>
public sealed record PusherLeaseDocument(string Holder, DateTimeOffset RenewedAt);

/// <summary>SKUs that replicas without the lease have queued for a store, waiting for its holder.</summary>
/// <param name="Skus">The SKUs (a set).</param>
public sealed record PusherHandoffDocument(List<string> Skus);

/// <summary>
/// This replica's hold on <c>pusher-lease|{storeId}</c>: acquired first-write with a state TTL of the lease duration,
/// renewed with its ETag once a third of it has passed, deleted with the ETag on shutdown. The replica counts itself
/// the holder only until two thirds of the duration after its last successful write was sent, so it stops pushing a
/// third of the lease before the state store could hand the lease to someone else; <see cref="HeldToken"/> cancels
/// pushes still running at that moment.
/// </summary>
internal sealed class StorePusherLease(string storeId, string holderId, InventoryState state, TimeSpan duration, TimeProvider time) : IDisposable
{
    private const int MaxHandoffAttempts = 20;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private CancellationTokenSource _held = CancelledSource();
    private string? _etag;
    private DateTimeOffset _renewDue;
    private DateTimeOffset _heldUntil;

    public static string LeaseKey(string storeId) => $"pusher-lease|{storeId}";

    public static string HandoffKey(string storeId) => $"pusher-handoff|{storeId}";

    public string StoreId => storeId;

    /// <summary>Whether this replica may push to the store now.</summary>
    public bool IsHeld => _etag is not null && time.GetUtcNow() < _heldUntil;

    /// <summary>Cancelled when this replica stops holding the lease (lost, expired without renewal, or released).</summary>
    public CancellationToken HeldToken => Volatile.Read(ref _held).Token;

    private int TtlSeconds => Math.Max(1, (int)Math.Ceiling(duration.TotalSeconds));

    /// <summary>
    /// Acquires the lease when nobody holds it, renews it when a third of it has passed; true when this replica holds it.
    /// </summary>
    public async Task<bool> EnsureAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var sentAt = time.GetUtcNow();
            if (_etag is not null && sentAt < _renewDue)
            {
                return true;
            }

            var document = new PusherLeaseDocument(holderId, sentAt);
            var written = await state.TryWriteAsync(
                [_etag is null
                    ? new StateWrite(LeaseKey(storeId), document, ETag: null, CreateOnly: true, TtlSeconds: TtlSeconds)
                    : new StateWrite(LeaseKey(storeId), document, _etag, TtlSeconds: TtlSeconds)],
                cancellationToken);
            var wasHeld = _etag is not null;
            _etag = null;
            if (!written)
            {
                _held.Cancel();
                return false;
            }

            // The transaction API does not return the new ETag; nobody else can have written the key since (it was
            // ours and unexpired), so reading it back gives our ETag — unless it already expired.
            var current = await state.GetAsync<PusherLeaseDocument>(LeaseKey(storeId), cancellationToken);
            if (current.Value?.Holder != holderId)
            {
                _held.Cancel();
                return false;
            }

            _etag = current.ETag;
            _renewDue = sentAt + (duration / 3);
            _heldUntil = sentAt + (duration * 2 / 3);
            if (!wasHeld || _held.IsCancellationRequested)
            {
                var fresh = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
                var old = Interlocked.Exchange(ref _held, fresh);
                old.Cancel();
                old.Dispose();
            }

            _held.CancelAfter(Max(TimeSpan.Zero, _heldUntil - time.GetUtcNow()));
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Gives the lease up (delete with its ETag) so another replica can take over at once.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _held.Cancel();
            if (_etag is { } etag)
            {
                _etag = null;
                await state.TryWriteAsync([new StateWrite(LeaseKey(storeId), null, etag)], cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _held.Dispose();
        _gate.Dispose();
    }

    private static CancellationTokenSource CancelledSource()
    {
        var source = new CancellationTokenSource();
        source.Cancel();
        return source;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Adds SKUs to the store's hand-off document for the holder to push.</summary>
    public async Task HandOffAsync(IReadOnlyCollection<string> skus, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxHandoffAttempts; attempt++)
        {
            var current = await state.GetAsync<PusherHandoffDocument>(HandoffKey(storeId), cancellationToken);
            var merged = new SortedSet<string>(current.Value?.Skus ?? [], StringComparer.Ordinal);
            merged.UnionWith(skus);
            var write = new StateWrite(HandoffKey(storeId), new PusherHandoffDocument([.. merged]), current.ETag, CreateOnly: current.ETag is null);
            if (await state.TryWriteAsync([write], cancellationToken))
            {
                return;
            }
        }

        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
            $"Handing {skus.Count} SKU(s) of store {storeId} to its pusher kept conflicting"));
    }

    /// <summary>Takes every SKU handed off for the store (the holder calls this; it deletes the document with its ETag).</summary>
    public async Task<IReadOnlyList<string>> TakeHandedOffAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxHandoffAttempts; attempt++)
        {
            var current = await state.GetAsync<PusherHandoffDocument>(HandoffKey(storeId), cancellationToken);
            if (current.Value is null)
            {
                return [];
            }

            if (await state.TryWriteAsync([new StateWrite(HandoffKey(storeId), null, current.ETag)], cancellationToken))
            {
                return current.Value.Skus;
            }
        }

        return [];
    }
}
