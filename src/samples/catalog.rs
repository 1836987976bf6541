//! The goods sample parcels carry: descriptions, HTS codes, unit price and weight ranges and countries of
//! origin, plus the suffixes that vary a description.
//!
//! The HTS codes are 10-digit US HTSUS numbers; every entry passes the HTS format check and the
//! dangerous-goods check (`the_catalogue_holds_no_dangerous_goods` holds both).

/// One kind of goods.
pub(super) struct CatalogEntry {
    pub(super) description: &'static str,
    /// HTSUS number, dotted.
    pub(super) hts: &'static str,
    /// Unit price range, USD cents.
    pub(super) price: (i64, i64),
    /// Unit weight range, grams.
    pub(super) grams: (i64, i64),
    /// ISO 3166-1 alpha-2 countries of origin.
    pub(super) origins: &'static [&'static str],
}

const fn ce(
    description: &'static str,
    hts: &'static str,
    price: (i64, i64),
    grams: (i64, i64),
    origins: &'static [&'static str],
) -> CatalogEntry {
    CatalogEntry {
        description,
        hts,
        price,
        grams,
        origins,
    }
}

/// The goods of sample parcels: everyday things that travel by air without a dangerous-goods declaration
/// (no perfume, batteries or aerosols), so sample batches pass the dangerous-goods check.
pub(super) const CATALOG: &[CatalogEntry] = &[
    ce("Paperback book", "4901.99.0070", (599, 2999), (180, 900), &["US", "GB", "CN"]),
    ce("Hardcover art book, 240 pages", "4901.99.0070", (2500, 8900), (900, 2200), &["IT", "FR", "CN"]),
    ce("Men's cotton T-shirt, knitted, crew neck", "6109.10.0012", (800, 3500), (150, 250), &["BD", "VN", "CN", "IN"]),
    ce("Women's wool sweater", "6110.11.0020", (3900, 14900), (300, 600), &["IT", "CN", "PE"]),
    ce("Running shoes, textile upper, rubber sole", "6404.11.9020", (4500, 18000), (600, 1100), &["VN", "CN", "ID"]),
    ce("Leather handbag", "4202.21.9000", (8000, 65000), (500, 1400), &["IT", "FR", "CN"]),
    ce("Silk scarf, printed, 90 x 90 cm", "6214.10.1000", (3000, 42000), (50, 120), &["FR", "IT", "CN"]),
    ce("Scented soy candle in glass jar, 200 g", "3406.00.0000", (1200, 4500), (250, 450), &["FR", "US", "CN"]),
    ce("Face cream, 50 g jar", "3304.99.5000", (1200, 9500), (90, 200), &["KR", "FR", "JP"]),
    ce("Wireless earbuds with charging case", "8518.30.2000", (1900, 24900), (60, 150), &["CN", "VN"]),
    ce("Bluetooth speaker, portable", "8518.22.0000", (2500, 19900), (300, 1200), &["CN"]),
    ce("Smartwatch with silicone strap", "8517.62.0090", (9900, 42900), (60, 120), &["CN", "TW", "VN"]),
    ce("Laptop computer, 14 inch, 16 GB RAM", "8471.30.0100", (59900, 149900), (1200, 2100), &["CN", "TW"]),
    ce("Mirrorless camera lens, 35 mm f/1.8", "9002.11.9000", (19900, 89900), (250, 700), &["JP", "CN", "TH"]),
    ce("USB-C charger, 30 W", "8504.40.9580", (900, 3900), (50, 120), &["CN"]),
    ce("Phone case, silicone", "3926.90.9990", (299, 2999), (20, 60), &["CN"]),
    ce("Stainless steel water bottle, 750 ml", "7323.93.0080", (1200, 4500), (250, 450), &["CN", "IN"]),
    ce("Ceramic coffee mug, 350 ml", "6912.00.4810", (600, 2800), (280, 420), &["PT", "CN", "GB"]),
    ce("Kitchen knife set, 5 pieces", "8211.10.0000", (3900, 29900), (900, 2400), &["DE", "JP", "CN"]),
    ce("Board game, family edition", "9504.90.6000", (1999, 6999), (700, 1800), &["DE", "CN", "US"]),
    ce("Plush toy bear, 30 cm", "9503.00.0073", (899, 3999), (150, 400), &["CN", "VN"]),
    ce("Green tea, loose leaf, 250 g", "0902.10.1015", (800, 4800), (260, 320), &["CN", "JP"]),
    ce("Vitamin D3 supplement, 120 capsules", "2106.90.9998", (999, 3499), (90, 160), &["US", "CA"]),
    ce("Art poster, 24\" x 36\", rolled in tube", "4911.91.4040", (1500, 4500), (150, 300), &["US", "FR"]),
    ce("Espresso machine, 15 bar pump", "8516.71.0060", (19900, 79900), (3500, 7000), &["IT", "CN"]),
    ce("Yoga mat, 6 mm, TPE", "9506.91.0030", (1500, 5900), (800, 1400), &["CN", "TW"]),
    ce("Gold-plated silver necklace", "7113.11.5000", (4900, 39900), (10, 60), &["IT", "TH", "IN"]),
    ce("Baby romper, organic cotton, 6-12 months", "6111.20.6010", (1200, 3200), (80, 150), &["BD", "IN", "TR"]),
    ce(
        "Children's educational building block set, 520 pieces, ABS plastic, ages 6+, includes storage box and illustrated instruction booklet in English, French and Spanish",
        "9503.00.0090",
        (2999, 8999),
        (900, 1800),
        &["CN", "DK"],
    ),
];

/// Appended to some descriptions, so the same goods are not always spelled the same.
pub(super) const DESCRIPTION_SUFFIXES: &[&str] = &[
    ", black",
    ", navy blue",
    ", red",
    ", gift wrapped",
    ", size M",
    ", pack of 2",
];
