//! Names and addresses of sample consignees: US and Canadian cities with their state or province,
//! postal code and area code, streets, second address lines, first and last names (with accents), CJK
//! names, companies and email domains.
//!
//! The tables hold the awkward cases real manifests carry (ZIPs with a leading zero, accented and CJK
//! names, apostrophes, company-only consignees) so every sample batch exercises them. Email domains are
//! the reserved `example.*` names (RFC 2606), so no sample mail can reach anyone.

/// A North American place: city, two-letter state or province, ZIP or postal code, telephone area code.
pub(super) struct UsCity {
    pub(super) city: &'static str,
    pub(super) state: &'static str,
    pub(super) zip: &'static str,
    pub(super) area: &'static str,
}

const fn uc(
    city: &'static str,
    state: &'static str,
    zip: &'static str,
    area: &'static str,
) -> UsCity {
    UsCity {
        city,
        state,
        zip,
        area,
    }
}

/// Real city / state / ZIP / area-code combinations; New England and New Jersey ZIPs start with 0.
pub(super) const US_CITIES: &[UsCity] = &[
    uc("Boston", "MA", "02134", "617"),
    uc("Cambridge", "MA", "02139", "617"),
    uc("Newark", "NJ", "07102", "973"),
    uc("Fort Lee", "NJ", "07024", "201"),
    uc("Hartford", "CT", "06103", "860"),
    uc("Providence", "RI", "02903", "401"),
    uc("Portland", "ME", "04101", "207"),
    uc("Burlington", "VT", "05401", "802"),
    uc("Manchester", "NH", "03101", "603"),
    uc("New York", "NY", "10001", "212"),
    uc("Brooklyn", "NY", "11201", "718"),
    uc("Flushing", "NY", "11354", "718"),
    uc("Philadelphia", "PA", "19103", "215"),
    uc("Washington", "DC", "20001", "202"),
    uc("Atlanta", "GA", "30303", "404"),
    uc("Miami", "FL", "33130", "305"),
    uc("Coral Gables", "FL", "33134", "305"),
    uc("Nashville", "TN", "37203", "615"),
    uc("Chicago", "IL", "60601", "312"),
    uc("Minneapolis", "MN", "55401", "612"),
    uc("Houston", "TX", "77002", "713"),
    uc("Austin", "TX", "78701", "512"),
    uc("Denver", "CO", "80202", "303"),
    uc("Salt Lake City", "UT", "84101", "801"),
    uc("Phoenix", "AZ", "85004", "602"),
    uc("Las Vegas", "NV", "89101", "702"),
    uc("Los Angeles", "CA", "90012", "213"),
    uc("Beverly Hills", "CA", "90210", "310"),
    uc("San Francisco", "CA", "94103", "415"),
    uc("San Jose", "CA", "95113", "408"),
    uc("Seattle", "WA", "98101", "206"),
    uc("Honolulu", "HI", "96813", "808"),
    uc("Anchorage", "AK", "99501", "907"),
];

/// Canadian cities with their province and a postal code of the city.
pub(super) const CA_CITIES: &[UsCity] = &[
    uc("Toronto", "ON", "M5V 2T6", "416"),
    uc("Ottawa", "ON", "K1P 1J1", "613"),
    uc("Vancouver", "BC", "V6B 1A1", "604"),
    uc("Montréal", "QC", "H2X 1Y4", "514"),
    uc("Québec", "QC", "G1R 4P5", "418"),
    uc("Calgary", "AB", "T2P 1J9", "403"),
    uc("Halifax", "NS", "B3H 1A1", "902"),
    uc("Winnipeg", "MB", "R3C 0V8", "204"),
];

/// Street names for US addresses.
pub(super) const US_STREETS: &[&str] = &[
    "Collins Ave",
    "Main St",
    "Elm Street",
    "Maple Avenue",
    "Oak Lane",
    "Washington Blvd",
    "Park Ave",
    "Sunset Blvd",
    "Commonwealth Ave",
    "Market Street",
    "Broadway",
    "Peachtree St NE",
    "Lake Shore Dr",
    "Cedar Rd",
    "Pine St",
    "Martin Luther King Jr Blvd",
];
/// Street names for Canadian addresses, English and French.
pub(super) const CA_STREETS: &[&str] = &[
    "Queen St W",
    "rue Sainte-Catherine O",
    "Granville St",
    "boul. René-Lévesque E",
    "Jasper Ave",
    "Spring Garden Rd",
    "Portage Ave",
];
/// Second address lines.
pub(super) const ADDRESS2: &[&str] = &[
    "Apt 4, Floor 2",
    "Suite 210",
    "Unit 5B",
    "Apt #903",
    "Floor 3, Room 301",
    "c/o Reception",
    "Bldg C, Apt 12",
];

/// First names: (display, ascii for the email).
pub(super) const FIRST_NAMES: &[(&str, &str)] = &[
    ("James", "james"),
    ("Maria", "maria"),
    ("José", "jose"),
    ("Zoë", "zoe"),
    ("Chloé", "chloe"),
    ("Renée", "renee"),
    ("François", "francois"),
    ("Søren", "soren"),
    ("Björn", "bjorn"),
    ("Siobhán", "siobhan"),
    ("Łukasz", "lukasz"),
    ("Priya", "priya"),
    ("Mohammed", "mohammed"),
    ("Emily", "emily"),
    ("Michael", "michael"),
    ("Ana", "ana"),
    ("Olivia", "olivia"),
    ("David", "david"),
    ("Aoife", "aoife"),
    ("Jürgen", "jurgen"),
];
/// Last names: (display, ascii for the email).
pub(super) const LAST_NAMES: &[(&str, &str)] = &[
    ("Müller", "muller"),
    ("Brontë", "bronte"),
    ("García", "garcia"),
    ("O'Brien", "obrien"),
    ("Núñez", "nunez"),
    ("Kowalski", "kowalski"),
    ("Johansson", "johansson"),
    ("Dubois", "dubois"),
    ("Nguyễn", "nguyen"),
    ("Patel", "patel"),
    ("Okafor", "okafor"),
    ("Schäfer", "schafer"),
    ("Hernández", "hernandez"),
    ("Lefèvre", "lefevre"),
    ("Smith", "smith"),
    ("Johnson", "johnson"),
    ("Williams", "williams"),
    ("Brown", "brown"),
    ("Kim", "kim"),
    ("Rossi", "rossi"),
];
/// Chinese, Japanese and Korean full names: (display, ascii for the email).
pub(super) const CJK_NAMES: &[(&str, &str)] = &[
    ("王小明", "wang.xiaoming"),
    ("山田太郎", "taro.yamada"),
    ("李娜", "li.na"),
    ("김민준", "minjun.kim"),
    ("陈静", "chen.jing"),
    ("佐藤花子", "hanako.sato"),
    ("張偉", "zhang.wei"),
];
/// Companies: (display, ascii for the email).
pub(super) const COMPANIES: &[(&str, &str)] = &[
    ("Blue Harbor Trading Co.", "blueharbor"),
    ("Northwind Traders LLC", "northwind"),
    ("Café Olé Imports", "cafeole"),
    ("Brontë & Sons Books", "brontebooks"),
    ("Maple Leaf Outfitters Inc.", "mapleleaf"),
    ("Acme Widgets, Inc.", "acme"),
    ("Sakura Home Goods", "sakurahome"),
    ("東京物産株式会社", "tokyobussan"),
];
/// Reserved example domains (RFC 2606).
pub(super) const EMAIL_DOMAINS: &[&str] = &["example.com", "example.org", "example.net"];
