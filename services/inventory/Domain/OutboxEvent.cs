using System.Text.Json;

namespace Storebridge.Inventory.Domain;

/// <summary>
/// A canonical event waiting in a SKU document's outbox: written in the same state transaction as the change it
/// announces, published afterwards, and removed once known to be published (docs/decisions/0054).
/// </summary>
/// <param name="Id">CloudEvent id; a re-publish after a crash carries the same one, so subscribers can dedupe.</param>
/// <param name="Topic">Pub/sub topic.</param>
/// <param name="Type">CloudEvent type (the message's versioned full name).</param>
/// <param name="Data">The event as protobuf JSON.</param>
/// <param name="At">When the change was decided (the outbox age is measured from it).</param>
/// <param name="StoreId">For availability changes: the store whose stock must be pushed.</param>
/// <param name="Sku">For availability changes: the SKU to push.</param>
public sealed record OutboxEvent(string Id, string Topic, string Type, JsonElement Data, DateTimeOffset At, string? StoreId = null, string? Sku = null);
