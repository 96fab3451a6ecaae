namespace Storebridge.Sandbox.Seed;

/// <summary>How much data <see cref="SandboxCatalog.Generate"/> makes.</summary>
public enum SandboxSize
{
    /// <summary>About 30 products (~100 SKUs), 12 customers: for fast unit tests.</summary>
    Small,

    /// <summary>About 300 products (~1,000 SKUs), 80 customers: the default for the demo and end-to-end tests.</summary>
    Medium,

    /// <summary>About 2,000 products (~7,000 SKUs), 400 customers: for load and benchmark runs.</summary>
    Large,
}

/// <summary>Everything a sandbox starts with. Lists are in a stable order; equal seeds give equal data.</summary>
/// <param name="Seed">The seed this data was generated from.</param>
/// <param name="Size">The size it was generated for.</param>
/// <param name="Company">The selling company.</param>
/// <param name="AsOf">The fixed instant all seeded documents are dated (never the wall clock).</param>
/// <param name="Uoms">Units of measure used by the items.</param>
/// <param name="TaxClasses">Tax classes (WooCommerce tax classes, ERPNext item tax templates).</param>
/// <param name="TaxRates">Tax rates per class and jurisdiction.</param>
/// <param name="ItemGroups">Item groups (store categories), parents before children.</param>
/// <param name="Attributes">Variant attributes and their values.</param>
/// <param name="Items">Products: simple items and templates with their variants.</param>
/// <param name="Warehouses">Warehouses, each in a region.</param>
/// <param name="Stock">On-hand quantity per sellable SKU and warehouse.</param>
/// <param name="PriceLists">Selling price lists.</param>
/// <param name="Prices">Prices per sellable SKU and price list, including customer-specific prices.</param>
/// <param name="Customers">Consumer and business customers.</param>
public sealed record SandboxData(
    int Seed,
    SandboxSize Size,
    SeedCompany Company,
    DateTimeOffset AsOf,
    IReadOnlyList<string> Uoms,
    IReadOnlyList<SeedTaxClass> TaxClasses,
    IReadOnlyList<SeedTaxRate> TaxRates,
    IReadOnlyList<SeedItemGroup> ItemGroups,
    IReadOnlyList<SeedAttribute> Attributes,
    IReadOnlyList<SeedItem> Items,
    IReadOnlyList<SeedWarehouse> Warehouses,
    IReadOnlyList<SeedStock> Stock,
    IReadOnlyList<SeedPriceList> PriceLists,
    IReadOnlyList<SeedPrice> Prices,
    IReadOnlyList<SeedCustomer> Customers)
{
    /// <summary>Every SKU that can be sold and stocked: simple items and variants (templates are not sellable).</summary>
    public IEnumerable<SeedSellable> Sellables =>
        Items.SelectMany(i => i.HasVariants
            ? i.Variants.Select(v => new SeedSellable(v.Sku, i, v))
            : [new SeedSellable(i.Sku, i, null)]);

    /// <summary>The price of a SKU in a price list: the customer's own price when there is one, else the list price.</summary>
    public SeedPrice? FindPrice(string sku, string priceList, string? customerId = null) =>
        (customerId is null ? null : Prices.FirstOrDefault(p => p.Sku == sku && p.PriceList == priceList && p.CustomerId == customerId))
        ?? Prices.FirstOrDefault(p => p.Sku == sku && p.PriceList == priceList && p.CustomerId is null);
}

/// <summary>The selling company.</summary>
/// <param name="Name">Full name.</param>
/// <param name="Abbreviation">Short code; ERPNext appends it to warehouse names ("Newark DC - SBD").</param>
/// <param name="Currency">Base (accounting) currency, ISO 4217.</param>
/// <param name="Country">ISO 3166-1 alpha-2.</param>
public sealed record SeedCompany(string Name, string Abbreviation, string Currency, string Country);

/// <summary>A tax class; items point at one.</summary>
/// <param name="Code">Slug as WooCommerce names it ("standard", "reduced-rate", "zero-rate").</param>
/// <param name="Name">Display name.</param>
public sealed record SeedTaxClass(string Code, string Name);

/// <summary>A tax rate of one class in one jurisdiction.</summary>
/// <param name="Id">Stable numeric id.</param>
/// <param name="TaxClass">The <see cref="SeedTaxClass.Code"/> it belongs to.</param>
/// <param name="Country">ISO 3166-1 alpha-2.</param>
/// <param name="State">State code, or empty for the whole country.</param>
/// <param name="Name">Label ("CA State Tax", "BTW hoog").</param>
/// <param name="RatePercent">Percentage, e.g. 7.25.</param>
/// <param name="Priority">WooCommerce priority: one rate per priority applies.</param>
/// <param name="Compound">Applied on top of the other taxes.</param>
/// <param name="AppliesToShipping">Also taxes shipping.</param>
public sealed record SeedTaxRate(int Id, string TaxClass, string Country, string State, string Name, decimal RatePercent, int Priority, bool Compound, bool AppliesToShipping);

/// <summary>An item group (a store category).</summary>
/// <param name="Name">Unique name.</param>
/// <param name="Parent">Parent group, or null for a top-level group.</param>
/// <param name="Slug">URL slug for the store category.</param>
public sealed record SeedItemGroup(string Name, string? Parent, string Slug);

/// <summary>A variant attribute ("Size") and its values with their SKU abbreviations.</summary>
/// <param name="Name">Attribute name.</param>
/// <param name="Values">Values in display order.</param>
public sealed record SeedAttribute(string Name, IReadOnlyList<SeedAttributeValue> Values);

/// <summary>One value of an attribute.</summary>
/// <param name="Value">Display value ("Navy").</param>
/// <param name="Abbreviation">SKU suffix ("NVY").</param>
public sealed record SeedAttributeValue(string Value, string Abbreviation);

/// <summary>A product: a simple item (no variants) or a template whose variants are the sellable SKUs.</summary>
/// <param name="Sku">Item code.</param>
/// <param name="Name">Display name.</param>
/// <param name="Description">Short description.</param>
/// <param name="ItemGroup">Leaf item group name.</param>
/// <param name="StockUom">Stock unit of measure.</param>
/// <param name="TaxClass">Tax class code.</param>
/// <param name="WeightKg">Shipping weight of one unit.</param>
/// <param name="Disabled">Disabled in the ERP: not published.</param>
/// <param name="Attributes">For templates: the attribute names the variants vary by.</param>
/// <param name="Variants">For templates: the variants; empty for simple items.</param>
public sealed record SeedItem(
    string Sku,
    string Name,
    string Description,
    string ItemGroup,
    string StockUom,
    string TaxClass,
    decimal WeightKg,
    bool Disabled,
    IReadOnlyList<string> Attributes,
    IReadOnlyList<SeedVariant> Variants)
{
    /// <summary>True for templates (the ERPNext <c>has_variants</c> flag).</summary>
    public bool HasVariants => Variants.Count > 0;
}

/// <summary>A variant of a template item.</summary>
/// <param name="Sku">Variant item code: the template code and the attribute abbreviations.</param>
/// <param name="Name">Display name with the attribute values.</param>
/// <param name="Attributes">Attribute name to value, in the template's attribute order.</param>
/// <param name="Disabled">Disabled in the ERP.</param>
public sealed record SeedVariant(string Sku, string Name, IReadOnlyList<KeyValuePair<string, string>> Attributes, bool Disabled);

/// <summary>A sellable SKU with its item and, for variants, the variant.</summary>
/// <param name="Sku">The SKU.</param>
/// <param name="Item">The simple item or the template.</param>
/// <param name="Variant">The variant, or null for a simple item.</param>
public sealed record SeedSellable(string Sku, SeedItem Item, SeedVariant? Variant);

/// <summary>A warehouse that ships to a region.</summary>
/// <param name="Id">Warehouse name as the ERP knows it, with the company suffix.</param>
/// <param name="Region">Region code ("us-east", "us-west", "eu").</param>
/// <param name="City">City.</param>
/// <param name="Country">ISO 3166-1 alpha-2.</param>
public sealed record SeedWarehouse(string Id, string Region, string City, string Country);

/// <summary>On-hand stock of one SKU in one warehouse.</summary>
/// <param name="Sku">Sellable SKU.</param>
/// <param name="WarehouseId">Warehouse id.</param>
/// <param name="OnHand">Physical quantity (may be 0).</param>
public sealed record SeedStock(string Sku, string WarehouseId, int OnHand);

/// <summary>A selling price list.</summary>
/// <param name="Name">Unique name.</param>
/// <param name="Currency">ISO 4217 currency of its prices.</param>
/// <param name="Kind">What it is for.</param>
public sealed record SeedPriceList(string Name, string Currency, SeedPriceListKind Kind);

/// <summary>What a price list is used for.</summary>
public enum SeedPriceListKind
{
    /// <summary>Consumer prices.</summary>
    Retail,

    /// <summary>Business prices.</summary>
    Wholesale,
}

/// <summary>A price of a sellable SKU in a price list.</summary>
/// <param name="Sku">Sellable SKU.</param>
/// <param name="PriceList">Price list name.</param>
/// <param name="Currency">ISO 4217, the price list's currency.</param>
/// <param name="Rate">Unit price excluding tax, two decimals.</param>
/// <param name="CustomerId">Set for a customer-specific price; null for the list price.</param>
/// <param name="ValidFrom">First day the price applies, or null.</param>
/// <param name="ValidUntil">Last day the price applies, or null.</param>
public sealed record SeedPrice(string Sku, string PriceList, string Currency, decimal Rate, string? CustomerId, DateOnly? ValidFrom, DateOnly? ValidUntil);

/// <summary>Whether a customer buys as a consumer or a business.</summary>
public enum SeedCustomerKind
{
    /// <summary>A consumer (B2C), pays at checkout.</summary>
    Consumer,

    /// <summary>A business (B2B) with an ERP account, price list and credit limit.</summary>
    Business,
}

/// <summary>A customer.</summary>
/// <param name="Id">ERP customer id ("CUST-00001").</param>
/// <param name="Kind">Consumer or business.</param>
/// <param name="DisplayName">Person or company name.</param>
/// <param name="FirstName">Contact first name.</param>
/// <param name="LastName">Contact last name.</param>
/// <param name="Email">Unique e-mail address (lower case).</param>
/// <param name="Phone">Phone number.</param>
/// <param name="Company">Company name for businesses; empty for consumers.</param>
/// <param name="CustomerGroup">"Individual" or "Commercial"/"Wholesale"/"Government".</param>
/// <param name="TaxId">VAT/tax registration number, or empty.</param>
/// <param name="TaxExempt">Exempt from sales tax (resellers, some public bodies).</param>
/// <param name="PriceList">Default price list.</param>
/// <param name="Currency">Billing currency (the price list's currency).</param>
/// <param name="CreditLimit">B2B credit limit in <paramref name="Currency"/>; null for consumers.</param>
/// <param name="OutstandingAmount">Unpaid invoices already open against the limit (the exposure at start).</param>
/// <param name="PaymentTermsDays">Days to pay an invoice; 0 for consumers.</param>
/// <param name="Address">Billing and default shipping address.</param>
public sealed record SeedCustomer(
    string Id,
    SeedCustomerKind Kind,
    string DisplayName,
    string FirstName,
    string LastName,
    string Email,
    string Phone,
    string Company,
    string CustomerGroup,
    string TaxId,
    bool TaxExempt,
    string PriceList,
    string Currency,
    decimal? CreditLimit,
    decimal OutstandingAmount,
    int PaymentTermsDays,
    SeedAddress Address)
{
    /// <summary>Credit still available: limit minus outstanding, or null without a limit.</summary>
    public decimal? AvailableCredit => CreditLimit - OutstandingAmount;
}

/// <summary>A postal address.</summary>
/// <param name="Line1">Street and number.</param>
/// <param name="City">City.</param>
/// <param name="State">State/province code, or empty.</param>
/// <param name="PostalCode">Postal code.</param>
/// <param name="Country">ISO 3166-1 alpha-2.</param>
public sealed record SeedAddress(string Line1, string City, string State, string PostalCode, string Country);
