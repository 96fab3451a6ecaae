using Grpc.Core;

namespace Storebridge.Inventory.Domain;

/// <summary>A request the inventory refuses, with the gRPC status it maps to and what exactly was wrong.</summary>
public sealed class InventoryException(StatusCode status, string message, IReadOnlyList<InventoryProblem>? problems = null)
    : Exception(message)
{
    /// <summary>The gRPC status code.</summary>
    public StatusCode Status { get; } = status;

    /// <summary>Each offending field or resource.</summary>
    public IReadOnlyList<InventoryProblem> Problems { get; } = problems ?? [];
}

/// <summary>One thing wrong with a request.</summary>
/// <param name="Kind">Field (a bad value) or a resource type that does not exist (<c>sku</c>, <c>store</c>, <c>reservation</c>).</param>
/// <param name="Subject">The field path or resource name.</param>
/// <param name="Description">What is wrong.</param>
/// <param name="IsField">True for a bad field value, false for a missing resource.</param>
public sealed record InventoryProblem(string Kind, string Subject, string Description, bool IsField);
