using System.Text.Json;
using System.Text.Json.Serialization;

namespace Storebridge.WooCommerce.Models;

/// <summary>A billing or shipping address as WooCommerce sends it.</summary>
public sealed class WooAddress
{
    /// <summary>First name.</summary>
    public string? FirstName { get; set; }

    /// <summary>Last name.</summary>
    public string? LastName { get; set; }

    /// <summary>Company name; a non-empty company marks a business customer.</summary>
    public string? Company { get; set; }

    /// <summary>Address line 1.</summary>
    [JsonPropertyName("address_1")]
    public string? Address1 { get; set; }

    /// <summary>Address line 2.</summary>
    [JsonPropertyName("address_2")]
    public string? Address2 { get; set; }

    /// <summary>City.</summary>
    public string? City { get; set; }

    /// <summary>State or county code.</summary>
    public string? State { get; set; }

    /// <summary>Postal code.</summary>
    public string? Postcode { get; set; }

    /// <summary>ISO 3166-1 alpha-2 country code.</summary>
    public string? Country { get; set; }

    /// <summary>Email (billing only).</summary>
    public string? Email { get; set; }

    /// <summary>Phone.</summary>
    public string? Phone { get; set; }
}

/// <summary>A meta data entry; the value can be any JSON.</summary>
public sealed class WooMetaData
{
    /// <summary>Meta id (read-only).</summary>
    public long? Id { get; set; }

    /// <summary>Meta key.</summary>
    public string Key { get; set; } = "";

    /// <summary>Meta value.</summary>
    public JsonElement Value { get; set; }

    /// <summary>Label shown to the customer (order line meta in newer WooCommerce).</summary>
    public string? DisplayKey { get; set; }

    /// <summary>Value shown to the customer (order line meta in newer WooCommerce).</summary>
    public JsonElement? DisplayValue { get; set; }

    /// <summary>The value as text when it is a string or number, otherwise <see langword="null"/>.</summary>
    [JsonIgnore]
    public string? StringValue => Value.ValueKind switch
    {
        JsonValueKind.String => Value.GetString(),
        JsonValueKind.Number => Value.GetRawText(),
        _ => null,
    };

    /// <summary>Creates a string-valued entry.</summary>
    public static WooMetaData Of(string key, string value) => new() { Key = key, Value = JsonSerializer.SerializeToElement(value) };
}

/// <summary>The error body of every WooCommerce REST error: <c>{"code","message","data":{"status"}}</c>.</summary>
public sealed class WooError
{
    /// <summary>Error code, for example <c>woocommerce_rest_invalid_id</c>.</summary>
    public string Code { get; set; } = "";

    /// <summary>Human-readable message.</summary>
    public string Message { get; set; } = "";

    /// <summary>Extra data with the HTTP status.</summary>
    public WooErrorData? Data { get; set; }
}

/// <summary>The <c>data</c> member of an error.</summary>
public sealed class WooErrorData
{
    /// <summary>HTTP status the error stands for.</summary>
    public int Status { get; set; }
}

/// <summary>One item's outcome in a batch call: the resource, or an error for that item alone.</summary>
/// <typeparam name="T">The resource type.</typeparam>
/// <param name="Item">The created/updated/deleted resource when the item succeeded.</param>
/// <param name="Error">The item's error when it failed.</param>
/// <param name="Id">The id the store reported for the item (0 for a failed create).</param>
public sealed record WooBatchItemResult<T>(T? Item, WooError? Error, long Id) where T : class
{
    /// <summary>Whether this item succeeded.</summary>
    public bool Succeeded => Error is null;
}

/// <summary>A batch request: creates, updates (by id) and deletes (ids).</summary>
/// <typeparam name="T">The resource type.</typeparam>
public sealed class WooBatch<T> where T : class
{
    /// <summary>Resources to create.</summary>
    public List<T> Create { get; init; } = [];

    /// <summary>Resources to update; each carries its id.</summary>
    public List<T> Update { get; init; } = [];

    /// <summary>Ids to delete.</summary>
    public List<long> Delete { get; init; } = [];

    /// <summary>Items in all three lists.</summary>
    [JsonIgnore]
    public int Count => Create.Count + Update.Count + Delete.Count;
}

/// <summary>The results of a batch, in request order per list, merged over every call it was split into.</summary>
/// <typeparam name="T">The resource type.</typeparam>
public sealed class WooBatchResult<T> where T : class
{
    /// <summary>Outcome of each create.</summary>
    public List<WooBatchItemResult<T>> Create { get; } = [];

    /// <summary>Outcome of each update.</summary>
    public List<WooBatchItemResult<T>> Update { get; } = [];

    /// <summary>Outcome of each delete.</summary>
    public List<WooBatchItemResult<T>> Delete { get; } = [];

    /// <summary>How many HTTP calls the batch took.</summary>
    public int Calls { get; set; }

    /// <summary>Every failed item of the three lists.</summary>
    public IEnumerable<WooBatchItemResult<T>> Failures => Create.Concat(Update).Concat(Delete).Where(r => !r.Succeeded);
}

/// <summary>One page of a list call.</summary>
/// <typeparam name="T">The resource type.</typeparam>
/// <param name="Items">The page's items.</param>
/// <param name="Page">1-based page number.</param>
/// <param name="Total">X-WP-Total.</param>
/// <param name="TotalPages">X-WP-TotalPages.</param>
/// <param name="Next">The <c>Link rel="next"</c> URL, if any.</param>
public sealed record WooPage<T>(IReadOnlyList<T> Items, int Page, int Total, int TotalPages, Uri? Next);
